package openflow

import (
	"encoding/binary"
	"math/bits"

	"github.com/gvs-project/gvs/flowtable"
)

// OF10MatchLen is the size of struct ofp10_match.
const OF10MatchLen = 40

// ofp10_match wildcard bits.
const (
	of10WInPort    = 1 << 0
	of10WDLVLAN    = 1 << 1
	of10WDLSrc     = 1 << 2
	of10WDLDst     = 1 << 3
	of10WDLType    = 1 << 4
	of10WNWProto   = 1 << 5
	of10WTPSrc     = 1 << 6
	of10WTPDst     = 1 << 7
	of10NWSrcShift = 8
	of10NWDstShift = 14
	of10WDLVLANPCP = 1 << 20
	of10WNWTOS     = 1 << 21
	of10VLANNone   = 0xffff
)

var (
	fInPort  = ftField(flowtable.FieldInPort)
	fEthSrc  = ftField(flowtable.FieldEthSrc)
	fEthDst  = ftField(flowtable.FieldEthDst)
	fEthType = ftField(flowtable.FieldEthType)
	fTCI     = ftField(flowtable.FieldVLANTCI)
	fTOS     = ftField(flowtable.FieldIPTOS)
	fProto   = ftField(flowtable.FieldIPProto)
	fNWSrc   = ftField(flowtable.FieldIPv4Src)
	fNWDst   = ftField(flowtable.FieldIPv4Dst)
	fTPSrc   = ftField(flowtable.FieldTCPSrc)
	fTPDst   = ftField(flowtable.FieldTCPDst)
)

// AppendOF10Match appends m as an OpenFlow 1.0 ofp10_match, as
// ovs-vswitchd writes it. A match that ofp10_match cannot express
// (registers, IPv6, masked MACs, non-prefix IP masks...) is an error.
func AppendOF10Match(b []byte, m *flowtable.Match) ([]byte, error) {
	if m.EthType() == flowtable.EthTypeIPv6 {
		// OVS leaves IPv6 to NXM and OXM even for dl_type alone.
		return b, matchErr(BadMatchField, "OpenFlow 1.0 matches no IPv6")
	}
	var o [OF10MatchLen]byte
	var wc uint32
	lo := func(f *flowtable.Field) (uint64, uint64) {
		v, mk := m.Get(f)
		return v.Lo, mk.Lo
	}
	be16 := binary.BigEndian.PutUint16
	if v, mk := lo(fInPort); mk == 0 {
		wc |= of10WInPort
	} else {
		be16(o[4:], uint16(v))
	}
	for _, a := range []struct {
		f   *flowtable.Field
		off int
		bit uint32
	}{{fEthSrc, 6, of10WDLSrc}, {fEthDst, 12, of10WDLDst}} {
		v, mk := lo(a.f)
		if mk == 0 {
			wc |= a.bit
		}
		for i := 0; i < 6; i++ {
			o[a.off+i] = byte(v >> (40 - 8*uint(i)))
		}
	}
	tv, tm := lo(fTCI)
	switch {
	case tm == 0:
		wc |= of10WDLVLAN | of10WDLVLANPCP
	case tm&0x1000 != 0 && tv&0x1000 == 0:
		be16(o[18:], of10VLANNone)
	default:
		if tm&0x0fff == 0 {
			wc |= of10WDLVLAN
		} else {
			be16(o[18:], uint16(tv&0x0fff))
		}
		if tm&0xe000 == 0 {
			wc |= of10WDLVLANPCP
		} else {
			o[20] = byte(tv >> 13)
		}
	}
	if v, mk := lo(fEthType); mk == 0 {
		wc |= of10WDLType
	} else {
		be16(o[22:], uint16(v))
	}
	if v, mk := lo(fTOS); mk == 0 {
		wc |= of10WNWTOS
	} else {
		o[24] = byte(v)
	}
	if v, mk := lo(fProto); mk == 0 {
		wc |= of10WNWProto
	} else {
		o[25] = byte(v)
	}
	for _, a := range []struct {
		f     *flowtable.Field
		off   int
		shift uint
	}{{fNWSrc, 28, of10NWSrcShift}, {fNWDst, 32, of10NWDstShift}} {
		v, mk := lo(a.f)
		// The count of wildcarded low bits: a prefix mask's zero bits.
		wc |= uint32(32-bits.LeadingZeros32(^uint32(mk))) << a.shift
		binary.BigEndian.PutUint32(o[a.off:], uint32(v))
	}
	for _, a := range []struct {
		f   *flowtable.Field
		off int
		bit uint32
	}{{fTPSrc, 36, of10WTPSrc}, {fTPDst, 38, of10WTPDst}} {
		v, mk := lo(a.f)
		if mk == 0 {
			wc |= a.bit
		}
		be16(o[a.off:], uint16(v))
	}
	binary.BigEndian.PutUint32(o[0:], wc)
	back, err := ParseOF10Match(o[:])
	if err != nil || *back != *m {
		return b, matchErr(BadMatchField, "match %q cannot be expressed in OpenFlow 1.0", flowtable.FormatMatch(m, flowtable.DefaultPriority))
	}
	return append(b, o[:]...), nil
}

// ParseOF10Match decodes an ofp10_match. Fields whose prerequisites the
// match does not meet are dropped, as ovs-vswitchd normalizes OpenFlow 1.0
// matches.
func ParseOF10Match(b []byte) (*flowtable.Match, error) {
	if len(b) < OF10MatchLen {
		return nil, matchErr(BadMatchLen, "ofp10_match of %d bytes", len(b))
	}
	m := new(flowtable.Match)
	be16 := func(off int) uint64 { return uint64(binary.BigEndian.Uint16(b[off:])) }
	exact := func(f *flowtable.Field, v uint64) { m.SetExact(f, flowtable.Value{Lo: v}) }
	wc := binary.BigEndian.Uint32(b)
	if wc&of10WInPort == 0 {
		exact(fInPort, be16(4))
	}
	if wc&of10WDLSrc == 0 {
		exact(fEthSrc, be16(6)<<32|uint64(binary.BigEndian.Uint32(b[8:])))
	}
	if wc&of10WDLDst == 0 {
		exact(fEthDst, be16(12)<<32|uint64(binary.BigEndian.Uint32(b[14:])))
	}
	var tci, tciMask uint64
	if wc&of10WDLVLAN == 0 {
		tciMask |= 0x1fff
	}
	if wc&of10WDLVLANPCP == 0 {
		tciMask |= 0xf000
	}
	if wc&of10WDLVLAN == 0 && be16(18) == of10VLANNone {
		tci, tciMask = 0, 0xffff
	} else {
		tci = (be16(18)&0x0fff | uint64(b[20])<<13&0xe000 | 0x1000) & tciMask
	}
	if tciMask != 0 {
		m.Set(fTCI, flowtable.Value{Lo: tci}, flowtable.Value{Lo: tciMask})
	}
	if wc&of10WDLType == 0 {
		exact(fEthType, be16(22))
	}
	et := m.EthType()
	ip := et == flowtable.EthTypeIPv4 || et == flowtable.EthTypeIPv6
	arp := et == flowtable.EthTypeARP || et == flowtable.EthTypeRARP
	if wc&of10WNWTOS == 0 && ip {
		exact(fTOS, uint64(b[24]&0xfc))
	}
	if wc&of10WNWProto == 0 && (ip || arp) {
		exact(fProto, uint64(b[25]))
	}
	if et == flowtable.EthTypeIPv4 || arp {
		for _, a := range []struct {
			f     *flowtable.Field
			off   int
			shift uint
		}{{fNWSrc, 28, of10NWSrcShift}, {fNWDst, 32, of10NWDstShift}} {
			n := wc >> a.shift & 0x3f
			if n >= 32 {
				continue
			}
			mask := uint64(^uint32(0) << n)
			m.Set(a.f, flowtable.Value{Lo: uint64(binary.BigEndian.Uint32(b[a.off:]))}, flowtable.Value{Lo: mask})
		}
	}
	proto, ok := m.IPProto()
	l4 := ok && ip && (proto == flowtable.ProtoTCP || proto == flowtable.ProtoUDP || proto == flowtable.ProtoSCTP ||
		proto == flowtable.ProtoICMP && et == flowtable.EthTypeIPv4 || proto == flowtable.ProtoICMPv6 && et == flowtable.EthTypeIPv6)
	if l4 {
		// ICMP type and code live in tp_src and tp_dst.
		src, dst := fTPSrc, fTPDst
		switch proto {
		case flowtable.ProtoICMP:
			src, dst = ftField(flowtable.FieldICMPType), ftField(flowtable.FieldICMPCode)
		case flowtable.ProtoICMPv6:
			src, dst = ftField(flowtable.FieldICMPv6Type), ftField(flowtable.FieldICMPv6Code)
		}
		if wc&of10WTPSrc == 0 {
			exact(src, be16(36))
		}
		if wc&of10WTPDst == 0 {
			exact(dst, be16(38))
		}
	}
	return m, nil
}
