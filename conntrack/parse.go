package conntrack

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// IP protocols the tracker knows.
const (
	protoICMP   = header.ProtocolICMP
	protoTCP    = header.ProtocolTCP
	protoUDP    = header.ProtocolUDP
	protoICMPv6 = header.ProtocolICMPv6
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

// parse reads the tuple, and for TCP the state-machine fields, from the
// packet's layout: the one walk over the frame that the datapath made
// (packet.Layout), or that Layout makes now. checksums enables IPv4 header
// and L4 checksum validation as Open vSwitch's userspace conntrack does
// for packets without checksum offload. A packet that is not IPv4 or IPv6
// with a known protocol, or is a fragment, stays !ok: Open vSwitch 3.1
// reassembles valid fragments before conntrack (ipf) — a gap.
func parse(pk *packet.Packet, p *pkt, checksums bool) {
	*p = pkt{wscale: -1}
	l := pk.Layout()
	f := pk.Frame()
	if !addresses(f, l, p) {
		return
	}
	var sum uint32
	if checksums {
		ip := f[l.L3:l.End]
		if !p.t.v6 && header.Checksum(ip[:header.IPv4(ip).HeaderLength()], 0) != 0 {
			return
		}
		if l.L4 != 0 {
			sum = header.IPPseudoHeaderSum(ip, p.t.v6, p.t.proto, uint32(l.End-l.L4))
		}
	}
	transport(f, l, p, checksums, sum, false)
}

// addresses fills the tuple's addresses and protocol from an IP header
// the tracker can track: IPv4 or IPv6 at l.L3 with the right version, a
// known protocol and no fragment.
func addresses(f []byte, l *packet.Layout, p *pkt) bool {
	if l.L3 == 0 || !l.Has(packet.HasProto) || l.IsFragment() {
		return false
	}
	ip, t := f[l.L3:], &p.t
	switch {
	case l.EthType == header.EtherTypeIPv4 && ip[0]>>4 == 4:
		t.src[1] = uint64(binary.BigEndian.Uint32(ip[12:]))
		t.dst[1] = uint64(binary.BigEndian.Uint32(ip[16:]))
	case l.EthType == header.EtherTypeIPv6 && ip[0]>>4 == 6:
		t.v6 = true
		t.src[0], t.src[1] = binary.BigEndian.Uint64(ip[8:]), binary.BigEndian.Uint64(ip[16:])
		t.dst[0], t.dst[1] = binary.BigEndian.Uint64(ip[24:]), binary.BigEndian.Uint64(ip[32:])
	default:
		return false
	}
	t.proto = l.Proto
	return true
}

// transport fills ports (and TCP fields) from the transport header at
// l.L4. A quoted header (inner: inside an ICMP error) has only its first 8
// bytes for certain. For an ICMP error it parses the quoted packet
// instead, reverses its tuple and marks p related.
func transport(f []byte, l *packet.Layout, p *pkt, checksums bool, sum uint32, inner bool) {
	t := &p.t
	switch t.proto {
	case protoTCP, protoUDP, protoICMP, protoICMPv6:
		if l.L4 == 0 {
			return
		}
	default:
		p.ok = true
		return
	}
	b := f[l.L4:l.End]
	switch t.proto {
	case protoTCP:
		t.sport, t.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		p.seq = binary.BigEndian.Uint32(b[4:])
		if !inner && !tcpFields(b, p, checksums, sum) {
			return
		}
	case protoUDP:
		t.sport, t.dport = binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		if checksums && binary.BigEndian.Uint16(b[6:]) != 0 && header.Checksum(b, sum) != 0 {
			return
		}
	case protoICMP, protoICMPv6:
		if checksums {
			s := uint32(0)
			if t.proto == protoICMPv6 {
				s = sum
			}
			if header.Checksum(b, s) != 0 {
				return
			}
		}
		typ, code := b[0], b[1]
		if icmpIsError(t.proto, typ) {
			if !inner { // no errors about errors
				quoted(f[:l.End], l.L4+8, p)
			}
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

// tcpFields reads what the TCP state machine needs from the full TCP
// header b (the layout checked its data offset) and checks its checksum.
func tcpFields(b []byte, p *pkt, checksums bool, sum uint32) bool {
	p.ack = binary.BigEndian.Uint32(b[8:])
	doff := int(b[12]>>4) * 4
	p.flags = b[13] & 0x3f
	p.win = binary.BigEndian.Uint16(b[14:])
	p.payload = uint32(len(b) - doff)
	if p.flags&tcpSYN != 0 {
		p.wscale = tcpWScale(b[20:doff])
	}
	return !checksums || header.Checksum(b, sum) == 0
}

// quoted makes p the reversed tuple of the packet an ICMP error quotes at
// f[off:], if it is one the tracker could have tracked: not itself an
// error, and for ICMP a request.
func quoted(f []byte, off int, p *pkt) {
	v6 := p.t.proto == protoICMPv6
	if v6 != p.t.v6 {
		return // ICMP quoting the other IP version
	}
	var l packet.Layout
	l.ParseQuoted(f, off, v6)
	var q pkt
	if !addresses(f, &l, &q) {
		return
	}
	transport(f, &l, &q, false, 0, true)
	if !q.ok {
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
