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
	ethTypeMin   = 0x0600 // smaller values are 802.3 lengths
	ethTypeNone  = 0x05ff // OVS's dl_type for 802.3 frames without SNAP
	vlanPresent  = 0x1000 // the CFI bit, reused as "a tag is present"
	ipFragAny    = 1
	ipFragLater  = 2
	protoICMP    = 1
	protoIGMP    = 2
	protoTCP     = 6
	protoUDP     = 17
	protoIPv6Frg = 44
	protoICMPv6  = 58
	protoSCTP    = 132
	ndSolicit    = 135
	ndAdvert     = 136
	ethHeaderLen = 14
)

// parse fills p.Key from the frame exactly as Open vSwitch's flow_extract
// (miniflow_extract) does: every header is parsed as far as it is valid,
// and fields past an invalid or truncated header stay absent (zero). It
// returns false only for a frame shorter than an Ethernet header, which
// cannot be forwarded; everything else is forwarded as it is.
//
// p.malformed (and so Bridge.Malformed) means what Open vSwitch counts as
// malformed, in its miniflow_extract_ipv4_pkt_too_short/_len_error and
// miniflow_extract_ipv6_pkt_too_short/_len_error coverage counters: the
// ethertype says IPv4 or IPv6 but the header is shorter than its minimum,
// or its lengths (IHL, total length, payload length) are inconsistent with
// each other or with the frame. Those are the frames whose network header
// OVS ignores as a whole. Anything else that stops the parser early (a
// truncated VLAN tag, ARP body, IPv6 extension header, transport header or
// ND option) is, for OVS as here, a packet that simply lacks those fields.
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
	// One tag, as OVS with its default other_config:vlan-limit=1: an inner
	// tag's TPID becomes the ethertype. A tag needs its TCI and a type.
	if (typ == ethTypeVLAN || typ == ethTypeQinQ) && len(f) >= 18 {
		k.Set(fVLANTCI, u64(uint64(be16(f[14:])|vlanPresent)))
		p.tagged = true
		off = 16
		typ = be16(f[off:])
	}
	off += 2
	if typ < ethTypeMin {
		// 802.3 length field: only LLC+SNAP with a zero OUI carries a
		// type, and only a real ethertype counts.
		s := f[off:]
		typ = ethTypeNone
		if len(s) >= 8 && s[0] == 0xaa && s[1] == 0xaa && s[2] == 0x03 && s[3]|s[4]|s[5] == 0 {
			if t := be16(s[6:]); t >= ethTypeMin {
				typ = t
				off += 8
			}
		}
	}
	k.Set(fEthType, u64(uint64(typ)))
	switch typ {
	case ethTypeIPv4:
		p.parseIPv4(f[off:], off)
	case ethTypeIPv6:
		p.parseIPv6(f[off:], off)
	case ethTypeARP, ethTypeRARP:
		p.l3 = off
		p.parseARP(f[off:])
	}
	return true
}

func (p *Packet) parseARP(b []byte) {
	if len(b) < 28 {
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

// parseIPv4 checks the header as OVS's ipv4_sanity_check does (lengths
// only: the version nibble is not looked at) and parses it and, unless it
// is a later fragment, the transport header within the total length.
//
// p.l3 and p.l4 are set only for headers that passed these checks, so that
// actions rewriting them never touch a truncated header.
func (p *Packet) parseIPv4(b []byte, l3 int) {
	if len(b) < 20 {
		p.malformed = true
		return
	}
	hl := int(b[0]&0xf) * 4
	tot := int(be16(b[2:]))
	if hl < 20 || len(b) < hl || tot < hl || tot > len(b) {
		p.malformed = true
		return
	}
	p.l3 = l3
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
	p.parseL4(b[hl:tot], b[9], l3+hl)
}

// parseIPv6 follows OVS: the addresses are kept once the fixed header and
// payload length are sane; the other IPv6 fields (label, traffic class,
// hop limit, next header, fragment state) only if the extension header
// chain parses too.
func (p *Packet) parseIPv6(b []byte, l3 int) {
	if len(b) < 40 {
		p.malformed = true
		return
	}
	plen := int(be16(b[4:]))
	if 40+plen > len(b) {
		p.malformed = true
		return
	}
	p.l3 = l3
	k := &p.Key
	k.Set(fIPv6Src, flowtable.Value{Hi: be64(b[8:]), Lo: be64(b[16:])})
	k.Set(fIPv6Dst, flowtable.Value{Hi: be64(b[24:]), Lo: be64(b[32:])})
	next, off, frag, ok := ipv6Exts(b[:40+plen])
	if !ok {
		return
	}
	vtf := be32(b)
	k.Set(fIPv6Label, u64(uint64(vtf&0xfffff)))
	k.Set(fIPTOS, u64(uint64(vtf>>20&0xff)))
	k.Set(fIPECN, u64(uint64(vtf>>20&3)))
	k.Set(fIPTTL, u64(uint64(b[7])))
	k.Set(fIPProto, u64(uint64(next)))
	k.Set(fIPFrag, u64(frag))
	if frag&ipFragLater == 0 {
		p.parseL4(b[off:40+plen], next, l3+off)
	}
}

// ipv6Exts walks the extension headers of the IPv6 packet b (bounded by
// its payload length) the way OVS's parse_ipv6_ext_hdrs does. It returns
// the protocol of the first header it does not skip, its offset, the
// fragment state, and false if a header runs past the packet. A later
// fragment stops the walk with protocol 44 (fragment), as in OVS; a
// fragment header with offset and M flag zero is no fragment.
func ipv6Exts(b []byte) (next uint8, off int, frag uint64, ok bool) {
	next, off = b[6], 40
	for {
		var hlen int
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if off+8 > len(b) {
				return next, off, 0, false
			}
			hlen = (int(b[off+1]) + 1) * 8
		case 51: // authentication header
			if off+8 > len(b) {
				return next, off, 0, false
			}
			hlen = (int(b[off+1]) + 2) * 4
		case protoIPv6Frg:
			if off+8 > len(b) {
				return next, off, 0, false
			}
			hlen = 8
			if fo := be16(b[off+2:]); fo != 0 {
				frag = ipFragAny
				if fo&0xfff8 != 0 {
					return protoIPv6Frg, off + hlen, frag | ipFragLater, true
				}
			}
		default:
			return next, off, frag, true
		}
		if off+hlen > len(b) {
			return next, off, 0, false
		}
		next = b[off]
		off += hlen
	}
}

// parseL4 parses the transport header in b (bounded by the IP length),
// which starts at frame offset l4. A header shorter than its minimum leaves
// the transport fields absent and p.l4 unset.
func (p *Packet) parseL4(b []byte, proto uint8, l4 int) {
	k := &p.Key
	need := minL4[proto]
	if need == 0 || len(b) < int(need) {
		return
	}
	switch proto {
	case protoTCP:
		if doff := int(b[12]>>4) * 4; doff < 20 || doff > len(b) {
			return
		}
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
		k.Set(fTCPFlags, u64(uint64(be16(b[12:])&0x0fff)))
		p.l4 = l4
	case protoUDP, protoSCTP:
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
		p.l4 = l4
	case protoICMP, protoIGMP:
		k.Set(fTPSrc, u64(uint64(b[0])))
		k.Set(fTPDst, u64(uint64(b[1])))
		p.l4 = l4
	case protoICMPv6:
		k.Set(fTPSrc, u64(uint64(b[0])))
		k.Set(fTPDst, u64(uint64(b[1])))
		p.l4 = l4
		if (b[0] == ndSolicit || b[0] == ndAdvert) && b[1] == 0 {
			p.parseND(b)
		}
	}
}

// minL4 is the minimum header length of the transport protocols parsed;
// for ICMPv6 it includes the 4 bytes after type, code and checksum.
var minL4 = [256]uint8{protoTCP: 20, protoUDP: 8, protoSCTP: 12, protoICMP: 8, protoIGMP: 8, protoICMPv6: 8}

// parseND reads the target and link-layer address options of a neighbour
// solicitation or advertisement b (ICMPv6 header included), as OVS does:
// no target without 16 bytes for it; options are read while 8 bytes
// remain; a zero-length or overlong option ends the list (what was found
// stays); a source or target link-layer option other than 8 bytes long is
// skipped; either kind is taken from either message; a second one of the
// same kind invalidates all three fields.
func (p *Packet) parseND(b []byte) {
	if len(b) < 24 {
		return
	}
	var sll, tll uint64
	for o := b[24:]; len(o) >= 8; {
		n := int(o[1]) * 8
		if n == 0 || n > len(o) {
			break
		}
		if n == 8 && (o[0] == 1 || o[0] == 2) {
			ll := &sll
			if o[0] == 2 {
				ll = &tll
			}
			if *ll != 0 {
				return // duplicate: OVS drops target, SLL and TLL
			}
			*ll = mac48(o[2:])
		}
		o = o[n:]
	}
	k := &p.Key
	k.Set(fNDTarget, flowtable.Value{Hi: be64(b[8:]), Lo: be64(b[16:])})
	k.Set(fARPSHA, u64(sll))
	k.Set(fARPTHA, u64(tll))
}
