package packet

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// Layout is where a frame's headers are: the one walk over Ethernet, VLAN
// tags, LLC/SNAP, IPv4/IPv6 (extension headers included) and the transport
// header that every reader of a frame shares. It judges lengths only, the
// way Open vSwitch's miniflow_extract does; what a header's fields mean (a
// flow key, a conntrack tuple, a checksum) is the reader's business.
//
// Offsets count from the frame's first byte. No header starts at 0, so an
// offset of 0 means "not present". The zero value is "not parsed".
type Layout struct {
	// L3 is the network header: IPv4 or IPv6 whose lengths are consistent
	// with each other and with the frame, or ARP/RARP of any length.
	L3 int
	// L4 is the transport header, present only when it is at least as long
	// as its protocol's minimum (TCP: its data offset) and the packet is
	// not a later fragment. Protocols other than TCP, UDP, SCTP, ICMP,
	// IGMP and ICMPv6 have none.
	L4 int
	// End is the end of the IP datagram (its total or payload length);
	// with L3 of IPv4 or IPv6 only.
	End int
	// EthType is the ethertype after the parsed tags and any LLC/SNAP
	// header; header.EtherTypeNone for an 802.3 frame without one.
	EthType uint16
	// Proto is the IP protocol after the IPv6 extension headers: the
	// transport protocol, or 44 for a later IPv6 fragment. Valid with
	// HasProto.
	Proto uint8
	// Tags is how many VLAN tags follow the MAC addresses, as far as the
	// VLAN limit let the walk go (an inner tag beyond it is EthType).
	Tags  uint8
	Flags LayoutFlags
}

// LayoutFlags say what the walk found besides offsets.
type LayoutFlags uint8

const (
	// Parsed: the layout describes the frame.
	Parsed LayoutFlags = 1 << iota
	// Malformed: the ethertype says IPv4 or IPv6 but the header is shorter
	// than its minimum or its lengths are inconsistent, what OVS counts in
	// its ipv4/ipv6 "pkt_too_short"/"len_error" counters. Such a header
	// is ignored as a whole (L3 is 0).
	Malformed
	// HasProto: Proto is known. Always with IPv4 at L3; for IPv6 only if
	// the extension header chain parsed.
	HasProto
	// FragAny: the packet is an IP fragment (an atomic IPv6 fragment
	// header, offset and M flag zero, is none). The fragment flags mean
	// something only with HasProto.
	FragAny
	// FragLater: a fragment with a non-zero offset; it carries no
	// transport header, so L4 is 0.
	FragLater
)

// DefaultVLANLimit is how many VLAN tags the walk parses unless told
// otherwise: Open vSwitch's default other_config:vlan-limit=1, under which
// a second tag's TPID is the ethertype.
const DefaultVLANLimit = 1

// MaxVLANLimit is the most tags any layout parses (OVS's
// FLOW_MAX_VLAN_HEADERS).
const MaxVLANLimit = 2

// Has reports whether all of fl are set.
func (l *Layout) Has(fl LayoutFlags) bool { return l.Flags&fl == fl }

// IsFragment reports whether the packet is an IP fragment.
func (l *Layout) IsFragment() bool { return l.Flags&FragAny != 0 }

// Parse walks frame f and records its layout, parsing at most vlanLimit
// VLAN tags (clamped to 0..MaxVLANLimit). A tag needs its TCI and the type
// after it. A frame shorter than an Ethernet header gets a layout with
// only Parsed set. Parse never reads out of bounds.
func (l *Layout) Parse(f []byte, vlanLimit int) {
	*l = Layout{Flags: Parsed}
	if len(f) < header.EthernetMinimumSize {
		return
	}
	vlanLimit = min(max(vlanLimit, 0), MaxVLANLimit)
	off := 12
	typ := be16(f[off:])
	for int(l.Tags) < vlanLimit && (typ == header.EtherTypeVLAN || typ == header.EtherTypeQinQ) && len(f) >= off+6 {
		l.Tags++
		off += 4
		typ = be16(f[off:])
	}
	off += 2
	if typ < header.EtherTypeMin {
		// An 802.3 length: only LLC+SNAP with a zero OUI carries a type,
		// and only a real ethertype counts.
		s := f[off:]
		typ = header.EtherTypeNone
		if len(s) >= 8 && s[0] == 0xaa && s[1] == 0xaa && s[2] == 0x03 && s[3]|s[4]|s[5] == 0 {
			if t := be16(s[6:]); t >= header.EtherTypeMin {
				typ = t
				off += 8
			}
		}
	}
	l.EthType = typ
	switch typ {
	case header.EtherTypeIPv4:
		l.ipv4(f, off, false)
	case header.EtherTypeIPv6:
		l.ipv6(f, off, false)
	case header.EtherTypeARP, header.EtherTypeRARP:
		l.L3 = off
	}
}

// ParseQuoted walks the IP packet quoted in an ICMP error, which starts at
// f[off:] (off > 0) and is IPv6 if v6. A quoted packet may be cut short:
// its total length is clamped to what is there, and the transport header
// needs only its first 8 bytes. Offsets still count from the start of f.
func (l *Layout) ParseQuoted(f []byte, off int, v6 bool) {
	*l = Layout{Flags: Parsed}
	if off <= 0 || off > len(f) {
		return
	}
	if v6 {
		l.EthType = header.EtherTypeIPv6
		l.ipv6(f, off, true)
	} else {
		l.EthType = header.EtherTypeIPv4
		l.ipv4(f, off, true)
	}
}

// ipv4 checks the lengths as OVS's ipv4_sanity_check does (the version
// nibble is not looked at) and walks on to the transport header.
func (l *Layout) ipv4(f []byte, off int, quoted bool) {
	b := f[off:]
	if len(b) < 20 {
		l.Flags |= Malformed
		return
	}
	hl := int(b[0]&0xf) * 4
	tot := int(be16(b[2:]))
	if quoted {
		tot = min(max(tot, hl), len(b))
	}
	if hl < 20 || len(b) < hl || tot < hl || tot > len(b) {
		l.Flags |= Malformed
		return
	}
	l.L3, l.End = off, off+tot
	l.Proto = b[9]
	l.Flags |= HasProto
	if frag := be16(b[6:]); frag&0x3fff != 0 { // MF or an offset
		l.Flags |= FragAny
		if frag&0x1fff != 0 {
			l.Flags |= FragLater
			return
		}
	}
	l.transport(f, off+hl, quoted)
}

// ipv6 keeps the header once the fixed part and the payload length are
// sane, and walks the extension headers as OVS's parse_ipv6_ext_hdrs
// does: a header running past the payload leaves Proto unknown; a later
// fragment stops the walk with Proto 44.
func (l *Layout) ipv6(f []byte, off int, quoted bool) {
	b := f[off:]
	if len(b) < 40 {
		l.Flags |= Malformed
		return
	}
	end := 40 + int(be16(b[4:]))
	if quoted {
		end = min(end, len(b))
	} else if end > len(b) {
		l.Flags |= Malformed
		return
	}
	l.L3, l.End = off, off+end
	b = b[:end]
	next, at := b[6], 40
	for {
		var hlen int
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if at+8 > len(b) {
				return
			}
			hlen = (int(b[at+1]) + 1) * 8
		case 51: // authentication header
			if at+8 > len(b) {
				return
			}
			hlen = (int(b[at+1]) + 2) * 4
		case header.ProtocolIPv6Fragment:
			if at+8 > len(b) {
				return
			}
			hlen = 8
			if fo := be16(b[at+2:]); fo != 0 {
				l.Flags |= FragAny
				if fo&0xfff8 != 0 {
					l.Proto, l.Flags = header.ProtocolIPv6Fragment, l.Flags|FragLater|HasProto
					return
				}
			}
		default:
			l.Proto, l.Flags = next, l.Flags|HasProto
			l.transport(f, off+at, quoted)
			return
		}
		if at+hlen > len(b) {
			return
		}
		next = b[at]
		at += hlen
	}
}

// transport records the transport header at f[off:l.End] if it is at
// least its protocol's minimum long.
func (l *Layout) transport(f []byte, off int, quoted bool) {
	n := l.End - off
	need := int(minTransport[l.Proto])
	if need == 0 {
		return
	}
	if quoted {
		need = 8
	}
	if n < need {
		return
	}
	if l.Proto == header.ProtocolTCP && !quoted {
		if doff := int(f[off+12]>>4) * 4; doff < 20 || doff > n {
			return
		}
	}
	l.L4 = off
}

// minTransport is the minimum header length of the transport protocols
// the walk knows; for ICMPv6 it includes the 4 bytes after type, code and
// checksum.
var minTransport = [256]uint8{header.ProtocolTCP: 20, header.ProtocolUDP: 8, header.ProtocolSCTP: 12, header.ProtocolICMP: 8, header.ProtocolIGMP: 8, header.ProtocolICMPv6: 8}

// shift moves the offsets by d bytes, for a header pushed (d > 0) or
// popped (d < 0) in front of them.
func (l *Layout) shift(d int) {
	if l.L3 != 0 {
		l.L3 += d
	}
	if l.L4 != 0 {
		l.L4 += d
	}
	if l.End != 0 {
		l.End += d
	}
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
