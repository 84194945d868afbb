package ipf

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// payload returns n bytes of datagram data: a UDP header and a pattern.
func payload(n int) []byte {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i % 251)
	}
	binary.BigEndian.PutUint16(d[0:], 1234)
	binary.BigEndian.PutUint16(d[2:], 80)
	binary.BigEndian.PutUint16(d[4:], uint16(n))
	binary.BigEndian.PutUint16(d[6:], 0)
	return d
}

func ether(typ uint16) []byte {
	e := []byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0}
	binary.BigEndian.PutUint16(e[12:], typ)
	return e
}

// v4 builds an IPv4 frame carrying data[start:end] of a datagram with
// identification id, at offset start, with the more-fragments flag if
// more. start 0, end len(data), !more is the unfragmented datagram.
func v4(id uint16, data []byte, start, end int, more bool) []byte {
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, header.ProtocolUDP
	binary.BigEndian.PutUint16(ip[2:], uint16(20+end-start))
	binary.BigEndian.PutUint16(ip[4:], id)
	fo := uint16(start / 8)
	if more {
		fo |= 0x2000
	}
	binary.BigEndian.PutUint16(ip[6:], fo)
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip, 0))
	f := append(ether(header.EtherTypeIPv4), ip...)
	return append(f, data[start:end]...)
}

// hbh is an 8-byte IPv6 hop-by-hop options header (a PadN option); v6
// fills in its next header.
var hbh = []byte{0, 0, 1, 4, 0, 0, 0, 0}

// v6 builds an IPv6 fragment carrying data[start:end] with
// identification id, after the unfragmentable extension headers ext
// (8-byte headers of the kinds in kinds). whole builds the unfragmented
// datagram instead, without a fragment header.
func v6(id uint32, ext [][]byte, kinds []uint8, data []byte, start, end int, more, whole bool) []byte {
	ip := make([]byte, 40)
	ip[0], ip[7] = 0x60, 64
	ip[8], ip[23] = 0x20, 1
	ip[24], ip[39] = 0x20, 2
	at := 6 // the next-header byte to fill
	for i, e := range ext {
		ip[at] = kinds[i]
		at = len(ip)
		ip = append(ip, e...)
	}
	if whole {
		ip[at] = header.ProtocolUDP
	} else {
		ip[at] = header.ProtocolIPv6Fragment
		fh := make([]byte, 8)
		fh[0] = header.ProtocolUDP
		fo := uint16(start)
		if more {
			fo |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], fo)
		binary.BigEndian.PutUint32(fh[4:], id)
		ip = append(ip, fh...)
	}
	ip = append(ip, data[start:end]...)
	binary.BigEndian.PutUint16(ip[4:], uint16(len(ip)-40))
	return append(ether(header.EtherTypeIPv6), ip...)
}

func layout(f []byte) *packet.Layout {
	var l packet.Layout
	l.Parse(f, packet.DefaultVLANLimit)
	return &l
}
