package netdev

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// completeChecksum finishes the TCP or UDP checksum of an Ethernet frame
// whose checksum the sending stack left to "hardware" (AF_PACKET reports
// TP_STATUS_CSUMNOTREADY; the field holds only the pseudo-header sum). The
// whole checksum is recomputed. Frames it does not understand (802.3,
// fragments, IPv6 extension headers, lengths that do not fit the frame) are
// left alone; it never reads out of bounds. The headers are read through
// datapath/header's views.
func completeChecksum(f []byte) {
	if len(f) < header.EthernetMinimumSize {
		return
	}
	et := header.Ethernet(f).Type()
	l3 := header.EthernetMinimumSize
	for (et == 0x8100 || et == 0x88a8) && len(f) >= l3+4 {
		et = binary.BigEndian.Uint16(f[l3+2:]) // the type after the tag
		l3 += 4
	}
	var proto uint8
	var src, dst, seg []byte
	switch et {
	case 0x0800:
		if len(f) < l3+header.IPv4MinimumSize {
			return
		}
		ip := header.IPv4(f[l3:])
		ihl, tot := int(ip.HeaderLength()), int(ip.TotalLength())
		if ihl < header.IPv4MinimumSize || tot < ihl || tot > len(ip) || ip.Flags()&1 != 0 || ip.FragmentOffset() != 0 {
			return // fragments carry no complete L4 segment
		}
		proto, src, dst, seg = ip.Protocol(), ip[12:16], ip[16:20], ip[ihl:tot]
	case 0x86dd:
		if len(f) < l3+header.IPv6MinimumSize {
			return
		}
		ip := header.IPv6(f[l3:])
		end := header.IPv6MinimumSize + int(ip.PayloadLength())
		if end > len(ip) {
			return
		}
		proto, src, dst, seg = ip.NextHeader(), ip[8:24], ip[24:40], ip[header.IPv6MinimumSize:end]
	default:
		return
	}
	var at int
	switch proto {
	case 6:
		at = 16
	case 17:
		at = 6
	default:
		return
	}
	if at+2 > len(seg) {
		return
	}
	setL4Checksum(seg, at, header.PseudoHeaderSum(proto, src, dst, uint32(len(seg))), proto == 17)
}

// setL4Checksum computes the checksum of seg (a TCP or UDP segment) with
// its checksum field at offset at, starting from the pseudo-header sum.
func setL4Checksum(seg []byte, at int, pseudo uint32, udp bool) {
	seg[at], seg[at+1] = 0, 0
	c := header.Checksum(seg, pseudo)
	if udp && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(seg[at:], c)
}

// finishPartial completes a checksum described by a virtio-net header
// (VIRTIO_NET_HDR_F_NEEDS_CSUM): the sum over f[start:], which already
// holds the pseudo-header sum in its checksum field, stored at
// start+offset.
func finishPartial(f []byte, start, offset int) bool {
	if start < 0 || offset < 0 || start+offset+2 > len(f) {
		return false
	}
	c := header.Checksum(f[start:], 0)
	binary.BigEndian.PutUint16(f[start+offset:], c)
	return true
}
