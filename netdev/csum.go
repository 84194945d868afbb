package netdev

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// completeChecksum finishes the TCP or UDP checksum of an Ethernet frame
// whose checksum the sending stack left to "hardware" (AF_PACKET reports
// TP_STATUS_CSUMNOTREADY; the field holds only the pseudo-header sum). The
// whole checksum is recomputed. The headers are found by the one frame
// walk (packet.Layout, up to two VLAN tags); frames without a complete TCP
// or UDP header in an unfragmented IP packet are left alone.
func completeChecksum(f []byte) {
	var l packet.Layout
	l.Parse(f, packet.MaxVLANLimit)
	if l.L4 == 0 || l.IsFragment() {
		return
	}
	var at int
	switch l.Proto {
	case header.ProtocolTCP:
		at = 16
	case header.ProtocolUDP:
		at = 6
	default:
		return
	}
	seg := f[l.L4:l.End]
	sum := header.IPPseudoHeaderSum(f[l.L3:], l.EthType == header.EtherTypeIPv6, l.Proto, uint32(len(seg)))
	setL4Checksum(seg, at, sum, l.Proto == header.ProtocolUDP)
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
