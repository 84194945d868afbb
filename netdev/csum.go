package netdev

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// completeChecksum finishes the TCP or UDP checksum of an Ethernet frame
// whose checksum the sending stack left to "hardware" (AF_PACKET reports
// TP_STATUS_CSUMNOTREADY; the field holds only the pseudo-header sum). The
// whole checksum is recomputed. Frames it does not understand are left
// alone; it never reads out of bounds.
func completeChecksum(f []byte) {
	if len(f) < 14 {
		return
	}
	et := binary.BigEndian.Uint16(f[12:])
	l3 := 14
	for (et == 0x8100 || et == 0x88a8) && len(f) >= l3+4 {
		et = binary.BigEndian.Uint16(f[l3+2:])
		l3 += 4
	}
	var proto uint8
	var src, dst []byte
	var l4, end int
	switch et {
	case 0x0800:
		if len(f) < l3+20 {
			return
		}
		ihl := int(f[l3]&0xf) * 4
		tot := int(binary.BigEndian.Uint16(f[l3+2:]))
		if ihl < 20 || tot < ihl || l3+tot > len(f) || binary.BigEndian.Uint16(f[l3+6:])&0x3fff != 0 {
			return // fragments carry no complete L4 segment
		}
		proto, src, dst = f[l3+9], f[l3+12:l3+16], f[l3+16:l3+20]
		l4, end = l3+ihl, l3+tot
	case 0x86dd:
		if len(f) < l3+40 {
			return
		}
		plen := int(binary.BigEndian.Uint16(f[l3+4:]))
		if l3+40+plen > len(f) {
			return
		}
		proto, src, dst = f[l3+6], f[l3+8:l3+24], f[l3+24:l3+40]
		l4, end = l3+40, l3+40+plen
	default:
		return
	}
	var at int
	switch proto {
	case 6:
		at = l4 + 16
	case 17:
		at = l4 + 6
	default:
		return
	}
	if at+2 > end {
		return
	}
	setL4Checksum(f[l4:end], at-l4, header.PseudoHeaderSum(proto, src, dst, uint32(end-l4)), proto == 17)
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
