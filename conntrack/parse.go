package conntrack

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
)

// IP protocols the tracker knows.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
)

// TCP flag bits.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
)

// tuple is one direction of a connection: zone, addresses, protocol and
// ports. For ICMP and ICMPv6 the ports are the echo id (sport) and the
// message type and code (dport = type<<8|code). IPv4 addresses live in the
// low 32 bits of src[1]/dst[1]. It is a comparable value.
type tuple struct {
	src, dst     [2]uint64
	sport, dport uint16
	zone         uint16
	proto        uint8
	v6           bool
}

// reverse returns the tuple of the other direction (no NAT). ICMP
// requests' reply type is derived from the request type.
func (t tuple) reverse() tuple {
	r := t
	r.src, r.dst = t.dst, t.src
	if t.proto == protoICMP || t.proto == protoICMPv6 {
		r.dport = uint16(icmpReplyType(t.proto, uint8(t.dport>>8)))<<8 | t.dport&0xff
		return r
	}
	r.sport, r.dport = t.dport, t.sport
	return r
}

const (
	m1 = 0x9e3779b97f4a7c15
	m2 = 0xff51afd7ed558ccd
)

func mix(h, v uint64) uint64 {
	h ^= v
	h *= m2
	return h ^ h>>29
}

// hash is the tuple's key in a shard's index.
func (t *tuple) hash() uint64 {
	h := uint64(m1)
	h = mix(h, t.src[0])
	h = mix(h, t.src[1])
	h = mix(h, t.dst[0])
	h = mix(h, t.dst[1])
	v := uint64(t.sport)<<48 | uint64(t.dport)<<32 | uint64(t.zone)<<16 | uint64(t.proto)<<8
	if t.v6 {
		v |= 1
	}
	h = mix(h, v)
	h ^= h >> 32
	return h
}

// shardHash does not change when the tuple is reversed (without NAT), so
// both directions of a connection live in one shard. ICMP uses the id only
// (the type differs between request and reply).
func (t *tuple) shardHash() uint64 {
	p := uint64(t.sport ^ t.dport)
	if t.proto == protoICMP || t.proto == protoICMPv6 {
		p = uint64(t.sport)
	}
	h := uint64(m1)
	h = mix(h, t.src[0]^t.dst[0])
	h = mix(h, t.src[1]^t.dst[1])
	h = mix(h, p<<32|uint64(t.zone)<<8|uint64(t.proto))
	return h ^ h>>31
}

// pkt is what the tracker needs from a frame.
type pkt struct {
	t       tuple
	ok      bool // parsed as a trackable IP packet
	related bool // an ICMP error: t is the (reversed) quoted tuple
	// TCP
	flags   uint8
	seq     uint32
	ack     uint32
	win     uint16
	wscale  int8 // window scale option on a SYN; -1 = none
	payload uint32
}

// icmpReplyType maps an ICMP request type to its reply type; 0xff when the
// type cannot start a connection.
func icmpReplyType(proto, typ uint8) uint8 {
	if proto == protoICMP {
		switch typ {
		case 8:
			return 0
		case 13:
			return 14
		case 15:
			return 16
		}
		return 0xff
	}
	switch typ {
	case 128:
		return 129
	}
	return 0xff
}

// icmpTracked reports whether an ICMP type is a request or a reply.
func icmpTracked(proto, typ uint8) bool {
	if proto == protoICMP {
		switch typ {
		case 0, 8, 13, 14, 15, 16:
			return true
		}
		return false
	}
	return typ == 128 || typ == 129
}

func icmpIsRequest(proto, typ uint8) bool {
	if proto == protoICMP {
		return typ == 8 || typ == 13 || typ == 15
	}
	return typ == 128
}

func icmpIsError(proto, typ uint8) bool {
	if proto == protoICMP {
		return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
	}
	return typ >= 1 && typ <= 4
}

// parse reads the frame. checksums enables IPv4 header and L4 checksum
// validation as Open vSwitch's userspace conntrack does for packets
// without checksum offload.
func parse(f []byte, p *pkt, checksums bool) {
	*p = pkt{wscale: -1}
	if len(f) < 14 {
		return
	}
	off := 12
	typ := binary.BigEndian.Uint16(f[off:])
	for i := 0; i < 2 && (typ == 0x8100 || typ == 0x88a8); i++ {
		off += 4
		if len(f) < off+2 {
			return
		}
		typ = binary.BigEndian.Uint16(f[off:])
	}
	off += 2
	switch typ {
	case 0x0800:
		parseIPv4(f[off:], p, checksums, false)
	case 0x86dd:
		parseIPv6(f[off:], p, checksums, false)
	}
}

func parseIPv4(b []byte, p *pkt, checksums, inner bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return
	}
	hl := int(b[0]&0xf) * 4
	tot := int(binary.BigEndian.Uint16(b[2:]))
	if hl < 20 || len(b) < hl {
		return
	}
	if inner {
		// A quoted header may be cut short: keep what is there.
		tot = min(max(tot, hl), len(b))
	} else if tot < hl || tot > len(b) {
		return
	}
	if checksums && !inner && header.Checksum(b[:hl], 0) != 0 {
		return
	}
	if binary.BigEndian.Uint16(b[6:])&0x3fff != 0 {
		// Fragments are not reassembled: +inv. Open vSwitch 3.1 reassembles
		// valid IPv4 fragments before conntrack (ipf, on by default; a
		// non-last fragment under 1200 bytes is +inv there too) — a gap.
		return
	}
	t := &p.t
	t.src[1] = uint64(binary.BigEndian.Uint32(b[12:]))
	t.dst[1] = uint64(binary.BigEndian.Uint32(b[16:]))
	t.proto = b[9]
	var sum uint32
	if checksums && !inner {
		sum = header.PseudoHeaderSum(b[9], b[12:16], b[16:20], uint32(tot-hl))
	}
	parseL4(b[hl:tot], p, checksums && !inner, sum, inner)
}

func parseIPv6(b []byte, p *pkt, checksums, inner bool) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return
	}
	end := 40 + int(binary.BigEndian.Uint16(b[4:]))
	if inner {
		end = min(max(end, 40), len(b))
	} else if end > len(b) {
		return
	}
	t := &p.t
	t.v6 = true
	t.src[0], t.src[1] = binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])
	t.dst[0], t.dst[1] = binary.BigEndian.Uint64(b[24:]), binary.BigEndian.Uint64(b[32:])
	next, off := b[6], 40
	for i := 0; ; i++ {
		if i > 8 {
			return
		}
		var hlen int
		switch next {
		case 0, 43, 60:
			if off+8 > end {
				return
			}
			hlen = (int(b[off+1]) + 1) * 8
		case 51:
			if off+8 > end {
				return
			}
			hlen = (int(b[off+1]) + 2) * 4
		case 44:
			return // fragment: not reassembled, invalid
		default:
			t.proto = next
			var sum uint32
			if checksums && !inner {
				sum = header.PseudoHeaderSum(next, b[8:24], b[24:40], uint32(end-off))
			}
			parseL4(b[off:end], p, checksums && !inner, sum, inner)
			return
		}
		if off+hlen > end {
			return
		}
		next = b[off]
		off += hlen
	}
}

// parseL4 fills ports (and TCP fields) from b. For an ICMP error it parses
// the quoted packet instead, reverses its tuple and marks p related.
func parseL4(b []byte, p *pkt, checksums bool, sum uint32, inner bool) {
	t := &p.t
	switch t.proto {
	case protoTCP:
		if inner {
			if len(b) < 8 {
				return
			}
		} else if len(b) < 20 {
			return
		}
		t.sport, t.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		p.seq = binary.BigEndian.Uint32(b[4:])
		if inner {
			p.ok = true
			return
		}
		p.ack = binary.BigEndian.Uint32(b[8:])
		doff := int(b[12]>>4) * 4
		if doff < 20 || doff > len(b) {
			return
		}
		p.flags = b[13] & 0x3f
		p.win = binary.BigEndian.Uint16(b[14:])
		p.payload = uint32(len(b) - doff)
		if p.flags&tcpSYN != 0 {
			p.wscale = tcpWScale(b[20:doff])
		}
		if checksums && header.Checksum(b, sum) != 0 {
			return
		}
	case protoUDP:
		if len(b) < 8 {
			return
		}
		t.sport, t.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		if checksums && binary.BigEndian.Uint16(b[6:]) != 0 && header.Checksum(b, sum) != 0 {
			return
		}
	case protoICMP, protoICMPv6:
		if len(b) < 8 {
			return
		}
		typ, code := b[0], b[1]
		if checksums {
			s := uint32(0)
			if t.proto == protoICMPv6 {
				s = sum
			}
			if header.Checksum(b, s) != 0 {
				return
			}
		}
		if icmpIsError(t.proto, typ) {
			if inner {
				return // no errors about errors
			}
			var q pkt
			if t.proto == protoICMP {
				parseIPv4(b[8:], &q, false, true)
			} else {
				parseIPv6(b[8:], &q, false, true)
			}
			if !q.ok || q.t.v6 != t.v6 {
				return
			}
			if q.t.proto == protoICMP || q.t.proto == protoICMPv6 {
				if !icmpIsRequest(q.t.proto, uint8(q.t.dport>>8)) {
					return
				}
			}
			p.t = q.t
			p.related = true
			p.ok = true
			return
		}
		if !icmpTracked(t.proto, typ) {
			return // neither a request nor a reply: not tracked
		}
		t.sport = binary.BigEndian.Uint16(b[4:]) // identifier
		t.dport = uint16(typ)<<8 | uint16(code)
	}
	p.ok = true
}

// tcpWScale returns the window scale option of a SYN, or -1.
func tcpWScale(o []byte) int8 {
	for len(o) > 0 {
		switch o[0] {
		case 0:
			return -1
		case 1:
			o = o[1:]
			continue
		}
		if len(o) < 2 || o[1] < 2 || int(o[1]) > len(o) {
			return -1
		}
		if o[0] == 3 && o[1] == 3 {
			return int8(min(o[2], 14))
		}
		o = o[o[1]:]
	}
	return -1
}
