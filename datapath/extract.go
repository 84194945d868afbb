package datapath

import (
	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// Ethertypes and IP protocols the key extraction knows (the walk itself
// is packet.Layout's).
const (
	ethTypeIPv4 = header.EtherTypeIPv4
	ethTypeARP  = header.EtherTypeARP
	ethTypeRARP = header.EtherTypeRARP
	ethTypeIPv6 = header.EtherTypeIPv6
	ethTypeVLAN = header.EtherTypeVLAN
	vlanPresent = 0x1000 // the CFI bit, reused as "a tag is present"
	ipFragAny   = 1
	ipFragLater = 2
	protoICMP   = header.ProtocolICMP
	protoIGMP   = header.ProtocolIGMP
	protoTCP    = header.ProtocolTCP
	protoUDP    = header.ProtocolUDP
	protoICMPv6 = header.ProtocolICMPv6
	protoSCTP   = header.ProtocolSCTP
	ndSolicit   = 135
	ndAdvert    = 136
)

// vlanLimit is how many VLAN tags a bridge parses: Open vSwitch's default
// other_config:vlan-limit=1, so an inner tag's TPID becomes the ethertype.
const vlanLimit = packet.DefaultVLANLimit

// parse walks the frame once (packet.Layout) and fills p.Key from the
// headers it found, exactly as Open vSwitch's flow_extract
// (miniflow_extract) does: every header is parsed as far as it is valid,
// and fields past an invalid or truncated header stay absent (zero). It
// returns false only for a frame shorter than an Ethernet header, which
// cannot be forwarded; everything else is forwarded as it is.
//
// The layout's Malformed (and so Bridge.Malformed) means what Open vSwitch
// counts as malformed, in its miniflow_extract_ipv4_pkt_too_short/_len_error
// and miniflow_extract_ipv6_pkt_too_short/_len_error coverage counters: the
// ethertype says IPv4 or IPv6 but the header is shorter than its minimum,
// or its lengths (IHL, total length, payload length) are inconsistent with
// each other or with the frame. Those are the frames whose network header
// OVS ignores as a whole. Anything else that stops the walk early (a
// truncated VLAN tag, ARP body, IPv6 extension header, transport header or
// ND option) is, for OVS as here, a packet that simply lacks those fields.
func (p *Packet) parse(inPort flowtable.Port) bool {
	f := p.Frame()
	if len(f) < header.EthernetMinimumSize {
		return false
	}
	l := p.Parse(vlanLimit)
	k := &p.Key
	k.Set(fInPort, u64(uint64(inPort)))
	k.Set(fEthDst, u64(mac48(f[0:])))
	k.Set(fEthSrc, u64(mac48(f[6:])))
	if l.Tags > 0 {
		k.Set(fVLANTCI, u64(uint64(be16(f[14:])|vlanPresent)))
	}
	k.Set(fEthType, u64(uint64(l.EthType)))
	if l.L3 == 0 {
		return true
	}
	switch l.EthType {
	case ethTypeIPv4:
		p.keyIPv4(f[l.L3:], l)
	case ethTypeIPv6:
		p.keyIPv6(f[l.L3:], l)
	case ethTypeARP, ethTypeRARP:
		p.keyARP(f[l.L3:])
	}
	if l.L4 != 0 {
		p.keyL4(f[l.L4:l.End], l.Proto)
	}
	return true
}

// keyARP reads an Ethernet/IPv4 ARP body b, if it is one.
func (p *Packet) keyARP(b []byte) {
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

// keyIPv4 reads the IPv4 header b, whose lengths the layout checked.
func (p *Packet) keyIPv4(b []byte, l *packet.Layout) {
	k := &p.Key
	k.Set(fIPv4Src, u64(uint64(be32(b[12:]))))
	k.Set(fIPv4Dst, u64(uint64(be32(b[16:]))))
	k.Set(fIPProto, u64(uint64(b[9])))
	k.Set(fIPTOS, u64(uint64(b[1])))
	k.Set(fIPECN, u64(uint64(b[1]&3)))
	k.Set(fIPTTL, u64(uint64(b[8])))
	k.Set(fIPFrag, u64(fragBits(l)))
}

// keyIPv6 follows OVS: the addresses are kept once the fixed header and
// payload length are sane; the other IPv6 fields (label, traffic class,
// hop limit, next header, fragment state) only if the extension header
// chain parses too.
func (p *Packet) keyIPv6(b []byte, l *packet.Layout) {
	k := &p.Key
	k.Set(fIPv6Src, flowtable.Value{Hi: be64(b[8:]), Lo: be64(b[16:])})
	k.Set(fIPv6Dst, flowtable.Value{Hi: be64(b[24:]), Lo: be64(b[32:])})
	if !l.Has(packet.HasProto) {
		return
	}
	vtf := be32(b)
	k.Set(fIPv6Label, u64(uint64(vtf&0xfffff)))
	k.Set(fIPTOS, u64(uint64(vtf>>20&0xff)))
	k.Set(fIPECN, u64(uint64(vtf>>20&3)))
	k.Set(fIPTTL, u64(uint64(b[7])))
	k.Set(fIPProto, u64(uint64(l.Proto)))
	k.Set(fIPFrag, u64(fragBits(l)))
}

// fragBits is the layout's fragment state as the ip_frag field's bits.
func fragBits(l *packet.Layout) uint64 {
	var v uint64
	if l.Flags&packet.FragAny != 0 {
		v |= ipFragAny
	}
	if l.Flags&packet.FragLater != 0 {
		v |= ipFragLater
	}
	return v
}

// keyL4 reads the transport header b (bounded by the IP length), which
// the layout found at least its protocol's minimum long.
func (p *Packet) keyL4(b []byte, proto uint8) {
	k := &p.Key
	switch proto {
	case protoTCP:
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
		k.Set(fTCPFlags, u64(uint64(be16(b[12:])&0x0fff)))
	case protoUDP, protoSCTP:
		k.Set(fTPSrc, u64(uint64(be16(b))))
		k.Set(fTPDst, u64(uint64(be16(b[2:]))))
	case protoICMP, protoIGMP, protoICMPv6:
		k.Set(fTPSrc, u64(uint64(b[0])))
		k.Set(fTPDst, u64(uint64(b[1])))
		if proto == protoICMPv6 && (b[0] == ndSolicit || b[0] == ndAdvert) && b[1] == 0 {
			p.keyND(b)
		}
	}
}

// keyND reads the target and link-layer address options of a neighbour
// solicitation or advertisement b (ICMPv6 header included), as OVS does:
// no target without 16 bytes for it; options are read while 8 bytes
// remain; a zero-length or overlong option ends the list (what was found
// stays); a source or target link-layer option other than 8 bytes long is
// skipped; either kind is taken from either message; a second one of the
// same kind invalidates all three fields.
func (p *Packet) keyND(b []byte) {
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
