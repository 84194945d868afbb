package datapath

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/gvs-project/gvs/datapath/header"
)

// execute applies ops to the packet's frame in order, handing the frame to
// the output ports as it goes. Set operations rewrite headers in place and
// keep the IP, TCP, UDP and ICMP checksums right incrementally.
func (w *Worker) execute(p *Packet, ops []op) {
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opOutput:
			w.transmit(o.port, &p.Packet)
		case opPushVLAN:
			p.pushVLAN(uint16(o.a), uint16(o.b))
		case opPopVLAN:
			p.popVLAN()
		case opSetVLAN:
			if p.Layout().Tags > 0 {
				put16(p.Frame()[14:], uint16(o.b))
			}
		case opSetEth:
			f := p.Frame()
			putMAC48(f[6:], o.a)
			putMAC48(f[0:], o.b)
		case opSetIPv4:
			p.setIPv4(uint32(o.a>>32), uint32(o.a), uint8(o.b>>8), uint8(o.b))
		case opSetIPv6:
			p.setIPv6(o)
		case opSetL4:
			p.setL4(uint16(o.a), uint16(o.b), o.c)
		case opSetARP:
			p.setARP(o)
		case opSetNDTarget:
			p.setNDTarget(o.a, o.b)
		case opCT:
			w.conntrack(p, &w.x.recircs[o.a])
		case opController:
			w.packetIn(p, o)
		}
	}
}

// pushVLAN inserts a tag after the MAC addresses, using headroom; the
// layout's offsets move with it.
func (p *Packet) pushVLAN(tpid, tci uint16) {
	p.PushVLAN(tpid, tci) // no headroom cannot happen for buffers from Headroom-aware ports
}

// popVLAN removes the outermost tag, if the layout has one.
func (p *Packet) popVLAN() { p.PopVLAN() }

// l3 and l4 are the layout's network and transport header offsets (0:
// none, or a header too short to rewrite).
func (p *Packet) l3() int { return p.Layout().L3 }
func (p *Packet) l4() int { return p.Layout().L4 }

func (p *Packet) setIPv4(src, dst uint32, tos, ttl uint8) {
	if p.l3() == 0 {
		return
	}
	ip := header.IPv4(p.Frame()[p.l3():])
	osrc, odst := be32(ip[12:]), be32(ip[16:])
	if osrc != src || odst != dst {
		p.fixL4Addr32(osrc, src)
		p.fixL4Addr32(odst, dst)
		ip.SetSrcWithChecksum(header.IPv4Addr{byte(src >> 24), byte(src >> 16), byte(src >> 8), byte(src)})
		ip.SetDstWithChecksum(header.IPv4Addr{byte(dst >> 24), byte(dst >> 16), byte(dst >> 8), byte(dst)})
	}
	if ip.TOS() != tos {
		ip.SetTOSWithChecksum(tos)
	}
	if ip.TTL() != ttl {
		ip.SetTTLWithChecksum(ttl)
	}
}

// fixL4Addr32 updates a TCP or UDP checksum for a changed IPv4 address
// (the pseudo-header covers it).
func (p *Packet) fixL4Addr32(old, new uint32) {
	if old == new || p.l4() == 0 {
		return
	}
	if c := p.l4Checksum(); c != nil {
		put16(c, header.UpdateChecksum32(be16(c), old, new))
		p.fixUDPZero(c)
	}
}

// l4Checksum returns the checksum field of the TCP or UDP header, or nil.
// A UDP checksum of zero (none, IPv4 only) is left alone.
func (p *Packet) l4Checksum() []byte {
	f := p.Frame()
	switch uint8(p.Key.Get(fIPProto).Lo) {
	case protoTCP:
		return f[p.l4()+16 : p.l4()+18]
	case protoUDP:
		c := f[p.l4()+6 : p.l4()+8]
		if be16(c) == 0 && p.Key.Get(fEthType).Lo == ethTypeIPv4 {
			return nil
		}
		return c
	}
	return nil
}

// fixUDPZero writes a computed UDP checksum of 0 as 0xffff (RFC 768).
func (p *Packet) fixUDPZero(c []byte) {
	if uint8(p.Key.Get(fIPProto).Lo) == protoUDP && be16(c) == 0 {
		put16(c, 0xffff)
	}
}

// setL4 writes the transport ports (ICMP type and code) marked in which
// (1 source, 2 destination); the other keeps the frame's value.
func (p *Packet) setL4(src, dst uint16, which uint64) {
	if p.l4() == 0 {
		return
	}
	f := p.Frame()
	l4 := f[p.l4():]
	proto := uint8(p.Key.Get(fIPProto).Lo)
	osrc, odst := be16(l4), be16(l4[2:])
	if proto == protoICMP || proto == protoICMPv6 {
		osrc, odst = uint16(l4[0]), uint16(l4[1])
	}
	if which&1 == 0 {
		src = osrc
	}
	if which&2 == 0 {
		dst = odst
	}
	switch proto {
	case protoSCTP:
		p.setSCTPPorts(src, dst)
	case protoTCP, protoUDP:
		if c := p.l4Checksum(); c != nil {
			sum := header.UpdateChecksum16(be16(c), osrc, src)
			put16(c, header.UpdateChecksum16(sum, odst, dst))
			p.fixUDPZero(c)
		}
		put16(l4, src)
		put16(l4[2:], dst)
	case protoICMP, protoICMPv6:
		old := be16(l4)
		nw := uint16(src)<<8 | uint16(dst)&0xff
		put16(l4[2:], header.UpdateChecksum16(be16(l4[2:]), old, nw))
		put16(l4, nw)
	}
}

func (p *Packet) setIPv6(o *op) {
	if p.l3() == 0 {
		return
	}
	ip := p.Frame()[p.l3():]
	for i, w := range [4]uint64{o.a, o.b, o.c, o.d} {
		at := ip[8+8*i:]
		old := be64(at)
		if old == w {
			continue
		}
		if p.l4() != 0 {
			if c := p.icmp6OrL4Checksum(); c != nil {
				sum := header.UpdateChecksum32(be16(c), uint32(old>>32), uint32(w>>32))
				put16(c, header.UpdateChecksum32(sum, uint32(old), uint32(w)))
				p.fixUDPZero(c)
			}
		}
		put64(at, w)
	}
	tc, hlim, label := uint32(o.e>>32)&0xff, uint8(o.e>>24), uint32(o.e)&0xfffff
	put32(ip, 6<<28|tc<<20|label)
	ip[7] = hlim
}

// icmp6OrL4Checksum is l4Checksum extended to ICMPv6, whose checksum also
// covers the IPv6 pseudo-header.
func (p *Packet) icmp6OrL4Checksum() []byte {
	if uint8(p.Key.Get(fIPProto).Lo) == protoICMPv6 {
		return p.Frame()[p.l4()+2 : p.l4()+4]
	}
	return p.l4Checksum()
}

func (p *Packet) setARP(o *op) {
	if p.l3() == 0 || p.Key.Get(fEthType).Lo != ethTypeARP && p.Key.Get(fEthType).Lo != ethTypeRARP {
		return
	}
	a := p.Frame()[p.l3():]
	if len(a) < 28 {
		return
	}
	put16(a[6:], uint16(o.a))
	putMAC48(a[8:], o.c)
	put32(a[14:], uint32(o.b>>32))
	putMAC48(a[18:], o.d)
	put32(a[24:], uint32(o.b))
}

func (p *Packet) setNDTarget(hi, lo uint64) {
	if p.l4() == 0 || len(p.Frame()) < p.l4()+24 {
		return
	}
	l4 := p.Frame()[p.l4():]
	for i, w := range [2]uint64{hi, lo} {
		at := l4[8+8*i:]
		old := be64(at)
		sum := header.UpdateChecksum32(be16(l4[2:]), uint32(old>>32), uint32(w>>32))
		put16(l4[2:], header.UpdateChecksum32(sum, uint32(old), uint32(w)))
		put64(at, w)
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// setSCTPPorts rewrites SCTP ports and updates the packet's CRC32c as Open
// vSwitch does: by the change in the correct CRC, so a packet whose CRC was
// wrong stays wrong. The CRC covers the SCTP packet up to the end of the IP
// payload (not Ethernet padding).
func (p *Packet) setSCTPPorts(src, dst uint16) {
	f := p.Frame()
	end := p.Layout().End
	if end-p.l4() < 12 {
		put16(f[p.l4():], src)
		put16(f[p.l4()+2:], dst)
		return
	}
	sh := f[p.l4():end]
	old := binary.LittleEndian.Uint32(sh[8:])
	binary.LittleEndian.PutUint32(sh[8:], 0)
	before := crc32.Checksum(sh, castagnoli)
	put16(sh, src)
	put16(sh[2:], dst)
	after := crc32.Checksum(sh, castagnoli)
	binary.LittleEndian.PutUint32(sh[8:], old^before^after)
}
