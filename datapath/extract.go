package datapath

import "github.com/gvs-project/gvs/flowtable"

// Ethertypes and IP protocols the parser knows.
const (
	ethTypeIPv4  = 0x0800
	ethTypeARP   = 0x0806
	ethTypeRARP  = 0x8035
	ethTypeIPv6  = 0x86dd
	ethTypeVLAN  = 0x8100
	ethTypeQinQ  = 0x88a8
	ethTypeNone  = 0x05ff // OVS's dl_type for 802.3 frames without SNAP
	vlanPresent  = 0x1000 // the CFI bit, reused as "a tag is present"
	ipFragAny    = 1
	ipFragLater  = 2
	protoICMP    = 1
	protoTCP     = 6
	protoUDP     = 17
	protoICMPv6  = 58
	protoSCTP    = 132
	ndSolicit    = 135
	ndAdvert     = 136
	maxIPv6Exts  = 8
	ethHeaderLen = 14
)

// parse fills p.Key from the frame, Open vSwitch style: every header is
// parsed as far as it is valid; fields past an invalid header stay absent
// (zero) and the packet is marked malformed. It returns false only for a
// frame shorter than an Ethernet header, which cannot be forwarded.
func (p *Packet) parse(inPort flowtable.Port) bool {
	f := p.Frame()
	if len(f) < ethHeaderLen {
		return false
	}
	k := &p.Key
	k.Set(fInPort, u64(uint64(inPort)))
	k.Set(fEthDst, u64(mac48(f[0:])))
	k.Set(fEthSrc, u64(mac48(f[6:])))
	off := 12
	typ := be16(f[off:])
	if typ == ethTypeVLAN || typ == ethTypeQinQ {
		if len(f) < 18 {
			p.malformed = true
			k.Set(fEthType, u64(uint64(typ)))
			return true
		}
		k.Set(fVLANTCI, u64(uint64(be16(f[14:])|vlanPresent)))
		p.tagged = true
		off = 16
		typ = be16(f[off:])
	}
	off += 2
	if typ < 0x600 {
		// 802.3 length field: only LLC+SNAP with a zero OUI carries a type.
		s := f[off:]
		if len(s) >= 8 && s[0] == 0xaa && s[1] == 0xaa && s[2] == 0x03 && s[3]|s[4]|s[5] == 0 {
			typ = be16(s[6:])
			off += 8
		} else {
			typ = ethTypeNone
		}
	}
	k.Set(fEthType, u64(uint64(typ)))
	p.l3 = off
	switch typ {
	case ethTypeIPv4:
		p.parseIPv4(f[off:])
	case ethTypeIPv6:
		p.parseIPv6(f[off:])
	case ethTypeARP, ethTypeRARP:
		p.parseARP(f[off:])
	default:
		p.l3 = -1
	}
	return true
}

func (p *Packet) parseARP(b []byte) {
	if len(b) < 28 {
		p.malformed = true
		return
	}
	if be16(b) != 1 || be16(b[2:]) != ethTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return // not Ethernet/IPv4 ARP: nothing more to match on
	}
	k := &p.Key
	if op := be16(b[6:]); op <= 0xff {
		k.Set(fIPProto, u64(uint64(op)))
	}
	k.Set(fARPSHA, u64(mac48(b[8:])))
	k.Set(fIPv4Src, u64(uint64(be32(b[14:]))))
	k.Set(fARPTHA, u64(mac48(b[18:])))
	k.Set(fIPv4Dst, u64(uint64(be32(b[24:]))))
}

func (p *Packet) parseIPv4(b []byte) {
	if len(b) < 20 || b[0]>>4 != 4 {
		p.malformed = true
		return
	}
	hl := int(b[0]&0xf) * 4
	tot := int(be16(b[2:]))
	if hl < 20 || len(b) < hl || tot < hl || tot > len(b) {
		p.malformed = true
		return
	}
	k := &p.Key
	k.Set(fIPv4Src, u64(uint64(be32(b[12:]))))
	k.Set(fIPv4Dst, u64(uint64(be32(b[16:]))))
	k.Set(fIPProto, u64(uint64(b[9])))
	k.Set(fIPTOS, u64(uint64(b[1])))
	k.Set(fIPECN, u64(uint64(b[1]&3)))
	k.Set(fIPTTL, u64(uint64(b[8])))
	frag := be16(b[6:])
	if frag&0x3fff != 0 { // MF or a fragment offset
		fl := uint64(ipFragAny)
		if frag&0x1fff != 0 {
			fl |= ipFragLater
			k.Set(fIPFrag, u64(fl))
			return
		}
		k.Set(fIPFrag, u64(fl))
	}
	p.l4 = p.l3 + hl
	p.parseL4(b[hl:tot], b[9])
}

func (p *Packet) parseIPv6(b []byte) {
	if len(b) < 40 || b[0]>>4 != 6 {
		p.malformed = true
		return
	}
	plen := int(be16(b[4:]))
	if 40+plen > len(b) {
		p.malformed = true
		return
	}
	k := &p.Key
	k.Set(fIPv6Src, flowtable.Value{Hi: be64(b[8:]), Lo: be64(b[16:])})
	k.Set(fIPv6Dst, flowtable.Value{Hi: be64(b[24:]), Lo: be64(b[32:])})
	vtf := be32(b)
	k.Set(fIPv6Label, u64(uint64(vtf&0xfffff)))
	k.Set(fIPTOS, u64(uint64(vtf>>20&0xff)))
	k.Set(fIPECN, u64(uint64(vtf>>20&3)))
	k.Set(fIPTTL, u64(uint64(b[7])))
	next, off, frag := b[6], 40, uint64(0)
	end := 40 + plen
	for i := 0; ; i++ {
		var hlen int
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if off+8 > end {
				p.malformed = true
				return
			}
			hlen = (int(b[off+1]) + 1) * 8
		case 51: // authentication header
			if off+8 > end {
				p.malformed = true
				return
			}
			hlen = (int(b[off+1]) + 2) * 4
		case 44: // fragment
			if off+8 > end {
				p.malformed = true
				return
			}
			hlen = 8
			fo := be16(b[off+2:])
			frag = ipFragAny
			if fo&0xfff8 != 0 {
				frag |= ipFragLater
			}
		default:
			k.Set(fIPProto, u64(uint64(next)))
			k.Set(fIPFrag, u64(frag))
			if frag&ipFragLater == 0 {
				p.l4 = p.l3 + off
				p.parseL4(b[off:end], next)
			}
			return
		}
		if off+hlen > end || i == maxIPv6Exts {
			p.malformed = true
			return
		}
		next = b[off]
		off += hlen
		if frag&ipFragLater != 0 {
			// A later fragment: the rest is payload.
			k.Set(fIPProto, u64(uint64(next)))
			k.Set(fIPFrag, u64(frag))
			return
		}
	}
}

// parseL4 parses the transport header in b (bounded by the IP length).
func (p *Packet) parseL4(b []byte, proto uint8) {
	k := &p.Key
	need := map4[proto]
	if need == 0 {
		return
	}
	if len(b) < int(need) {
		p.malformed = true
		return
	}
	switch proto {
	case protoTCP:
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
		k.Set(fTCPFlags, u64(uint64(be16(b[12:])&0x0fff)))
	case protoUDP, protoSCTP:
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
	case protoICMP:
		k.Set(fTPSrc, u64(uint64(b[0])))
		k.Set(fTPDst, u64(uint64(b[1])))
	case protoICMPv6:
		k.Set(fTPSrc, u64(uint64(b[0])))
		k.Set(fTPDst, u64(uint64(b[1])))
		if (b[0] == ndSolicit || b[0] == ndAdvert) && b[1] == 0 {
			p.parseND(b)
		}
	}
}

// map4 is the minimum header length of the transport protocols parsed.
var map4 = [256]uint8{protoTCP: 20, protoUDP: 8, protoSCTP: 12, protoICMP: 8, protoICMPv6: 4}

// parseND reads the target and link-layer address options of a neighbour
// solicitation or advertisement. Malformed options clear all ND fields.
func (p *Packet) parseND(b []byte) {
	if len(b) < 24 {
		p.malformed = true
		return
	}
	k := &p.Key
	var sll, tll uint64
	for o := b[24:]; len(o) > 0; {
		if len(o) < 8 || o[1] == 0 || int(o[1])*8 > len(o) {
			p.malformed = true
			return
		}
		n := int(o[1]) * 8
		switch {
		case o[0] == 1 && n == 8 && b[0] == ndSolicit && sll == 0:
			sll = mac48(o[2:])
		case o[0] == 2 && n == 8 && b[0] == ndAdvert && tll == 0:
			tll = mac48(o[2:])
		}
		o = o[n:]
	}
	k.Set(fNDTarget, flowtable.Value{Hi: be64(b[8:]), Lo: be64(b[16:])})
	k.Set(fARPSHA, u64(sll))
	k.Set(fARPTHA, u64(tll))
}
