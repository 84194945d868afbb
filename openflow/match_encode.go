package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// AppendNXMatch appends m as an nx_match (the NXM TLVs of NXT_FLOW_MOD and
// friends, without padding) in the order ovs-vswitchd 3.1 writes them.
func AppendNXMatch(b []byte, m *flowtable.Match) ([]byte, error) {
	return appendRaw(b, 0, m, nxCookie{})
}

// AppendOXMatch appends m as an OpenFlow 1.2+ ofp_match of type OXM: the
// 4-byte header, the OXM TLVs in ovs-vswitchd 3.1's order, and zero padding
// to a multiple of 8 bytes.
func AppendOXMatch(b []byte, v Version, m *flowtable.Match) ([]byte, error) {
	if v < OF12 {
		return b, fmt.Errorf("openflow: OXM match needs OpenFlow 1.2 or later, not %v", v)
	}
	start := len(b)
	b = append(b, 0, 1, 0, 0) // type OFPMT_OXM, length below
	b, err := appendRaw(b, v, m, nxCookie{})
	if err != nil {
		return b[:start], err
	}
	n := len(b) - start
	b[start+2], b[start+3] = byte(n>>8), byte(n)
	return appendPad8(b, n), nil
}

// appendPad8 appends the zero bytes that round a length n up to 8.
func appendPad8(b []byte, n int) []byte {
	for ; n%8 != 0; n++ {
		b = append(b, 0)
	}
	return b
}

// encoder writes one match; v is 0 for NXM, else the OXM version.
type encoder struct {
	b []byte
	v Version
	m *flowtable.Match
}

func ftField(id flowtable.FieldID) *flowtable.Field { return flowtable.FieldByID(id) }

// get returns the value and mask of flowtable field id.
func (e *encoder) get(id flowtable.FieldID) (v, mask flowtable.Value) {
	return e.m.Get(ftField(id))
}

// header appends the TLV header of wire field w.
func (e *encoder) header(w int, masked bool) {
	f := &wireFields[w]
	n := f.n
	if masked {
		n *= 2
	}
	if f.class == oxmClassExp {
		n += 4
	}
	hm := uint8(0)
	if masked {
		hm = 1
	}
	e.b = append(e.b, byte(f.class>>8), byte(f.class), f.field<<1|hm, byte(n))
	if f.class == oxmClassExp {
		e.b = append(e.b, byte(f.exp>>24), byte(f.exp>>16), byte(f.exp>>8), byte(f.exp))
	}
}

// appendWireValue appends the low n bytes of v, big-endian.
func appendWireValue(b []byte, v flowtable.Value, n int) []byte {
	if n > 8 {
		b = appendWireValue(b, flowtable.Value{Lo: v.Hi}, n-8)
		n = 8
	}
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v.Lo>>(8*uint(i))))
	}
	return b
}

// put writes wire field w with value v under mask: nothing when the mask
// is zero, no mask when it is all ones over the wire width.
func (e *encoder) put(w int, v, mask flowtable.Value) {
	n := wireFields[w].n
	ones := flowtable.OnesValue(8 * n)
	mask = mask.And(ones)
	if mask.IsZero() {
		return
	}
	if mask == ones {
		e.header(w, false)
		e.b = appendWireValue(e.b, v, n)
		return
	}
	e.header(w, true)
	e.b = appendWireValue(e.b, v.And(mask), n)
	e.b = appendWireValue(e.b, mask, n)
}

// putExact writes wire field w without a mask.
func (e *encoder) putExact(w int, v flowtable.Value) {
	e.header(w, false)
	e.b = appendWireValue(e.b, v, wireFields[w].n)
}

// putField writes flowtable field id under its own mask as wire field w;
// a mask covering the whole field is no mask, as in OVS, whose exact
// matches carry all-ones masks.
func (e *encoder) putField(w int, id flowtable.FieldID) {
	f := ftField(id)
	v, m := e.m.Get(f)
	if !m.IsZero() && m == f.FullMask() {
		e.putExact(w, v)
		return
	}
	e.put(w, v, m)
}

// putIfAny writes field id exactly when any bit of it is constrained.
func (e *encoder) putIfAny(w int, id flowtable.FieldID) {
	if v, m := e.get(id); !m.IsZero() {
		e.putExact(w, v)
	}
}

// oxm picks the wire form of a field for the encoder's version.
func (e *encoder) oxm(nxm, oxm int) int { return pick(e.v, nxm, oxm) }

// appendRaw writes the TLVs of m in nx_put_raw's order.
func appendRaw(b []byte, v Version, m *flowtable.Match, ck nxCookie) ([]byte, error) {
	e := &encoder{b: b, v: v, m: m}
	e.putIfAny(wConjID, flowtable.FieldConjID)
	if pv, pm := e.get(flowtable.FieldInPort); !pm.IsZero() {
		if v != 0 {
			e.putExact(wInPortOXM, flowtable.Value{Lo: port11(uint16(pv.Lo))})
		} else {
			e.putExact(wInPort, pv)
		}
	}
	e.putField(e.oxm(wEthSrc, wEthSrcOXM), flowtable.FieldEthSrc)
	e.putField(e.oxm(wEthDst, wEthDstOXM), flowtable.FieldEthDst)
	e.putField(e.oxm(wEthType, wEthTypeOXM), flowtable.FieldEthType)
	e.vlan()
	switch m.EthType() {
	case flowtable.EthTypeIPv4, flowtable.EthTypeIPv6:
		e.ip()
	case flowtable.EthTypeARP, flowtable.EthTypeRARP:
		if pv, pm := e.get(flowtable.FieldARPOp); !pm.IsZero() {
			e.putExact(e.oxm(wARPOp, wARPOpOXM), pv)
		}
		e.putField(e.oxm(wARPSPA, wARPSPAOXM), flowtable.FieldARPSPA)
		e.putField(e.oxm(wARPTPA, wARPTPAOXM), flowtable.FieldARPTPA)
		e.putField(e.oxm(wARPSHA, wARPSHAOXM), flowtable.FieldARPSHA)
		e.putField(e.oxm(wARPTHA, wARPTHAOXM), flowtable.FieldARPTHA)
	}
	e.putField(pick(v, wTunID, wTunIDOXM), flowtable.FieldTunID)
	e.putField(wTunSrc, flowtable.FieldTunSrc)
	e.putField(wTunDst, flowtable.FieldTunDst)
	if v < OF15 {
		for i := 0; i < 16; i++ {
			e.putField(wReg0+i, flowtable.FieldReg0+flowtable.FieldID(i))
		}
	} else {
		for i := 0; i < 8; i++ {
			e.putField(wXReg0+i, flowtable.FieldXReg0+flowtable.FieldID(i))
		}
	}
	e.putField(wPktMark, flowtable.FieldPktMark)
	e.putField(wCTState, flowtable.FieldCTState)
	e.putField(wCTZone, flowtable.FieldCTZone)
	e.putField(wCTMark, flowtable.FieldCTMark)
	e.putField(wCTLabel, flowtable.FieldCTLabel)
	e.putField(wMetadata, flowtable.FieldMetadata)
	if ck.mask != 0 {
		masked := ck.mask != ^uint64(0)
		n, hm := byte(8), byte(0)
		if masked {
			n, hm = 16, 1
		}
		e.b = append(e.b, 0, nxmClassNX, nxmCookieField<<1|hm, n)
		e.b = binary.BigEndian.AppendUint64(e.b, ck.value&ck.mask)
		if masked {
			e.b = binary.BigEndian.AppendUint64(e.b, ck.mask)
		}
	}
	if len(e.b)-len(b) > 0xffff {
		return b, fmt.Errorf("openflow: match of %d bytes is too long", len(e.b)-len(b))
	}
	return e.b, nil
}

// vlan writes vlan_tci (NXM) or vlan_vid and vlan_pcp (OXM).
func (e *encoder) vlan() {
	tv, tm := e.get(flowtable.FieldVLANTCI)
	if e.v == 0 {
		e.put(wVLANTCI, tv, tm)
		return
	}
	vid, mask := tv.Lo&0x1fff, tm.Lo&0x1fff
	if mask == 0x1fff {
		e.putExact(wVLANVID, flowtable.Value{Lo: vid})
	} else if mask != 0 {
		e.put(wVLANVID, flowtable.Value{Lo: vid}, flowtable.Value{Lo: mask})
	}
	if vid != 0 && tm.Lo>>13 != 0 {
		e.putExact(wVLANPCP, flowtable.Value{Lo: tv.Lo >> 13})
	}
}

// ip writes the IPv4 or IPv6 fields and what depends on nw_proto.
func (e *encoder) ip() {
	v6 := e.m.EthType() == flowtable.EthTypeIPv6
	if v6 {
		e.putField(e.oxm(wIPv6Src, wIPv6SrcOXM), flowtable.FieldIPv6Src)
		e.putField(e.oxm(wIPv6Dst, wIPv6DstOXM), flowtable.FieldIPv6Dst)
	} else {
		e.putField(e.oxm(wIPv4Src, wIPv4SrcOXM), flowtable.FieldIPv4Src)
		e.putField(e.oxm(wIPv4Dst, wIPv4DstOXM), flowtable.FieldIPv4Dst)
	}
	// nw_frag=no is "not a fragment" whether or not the later bit is
	// masked too (a later fragment is always a fragment): OVS sends it whole.
	if fv, fm := e.get(flowtable.FieldIPFrag); fm.Lo == 1 && fv.Lo == 0 {
		e.putExact(wIPFrag, fv)
	} else {
		e.putField(wIPFrag, flowtable.FieldIPFrag)
	}
	if e.v != 0 {
		e.putIfAny(wIPDSCP, flowtable.FieldIPDSCP)
	} else {
		e.putIfAny(wIPTOS, flowtable.FieldIPTOS)
	}
	e.putIfAny(e.oxm(wIPECNNX, wIPECN), flowtable.FieldIPECN)
	e.putIfAny(wIPTTL, flowtable.FieldIPTTL)
	e.putField(e.oxm(wIPv6Label, wIPv6LabelOXM), flowtable.FieldIPv6Label)
	proto, ok := e.m.IPProto()
	if !ok {
		return
	}
	e.putExact(e.oxm(wIPProto, wIPProtoOXM), flowtable.Value{Lo: uint64(proto)})
	switch {
	case proto == flowtable.ProtoTCP:
		e.putField(e.oxm(wTCPSrc, wTCPSrcOXM), flowtable.FieldTCPSrc)
		e.putField(e.oxm(wTCPDst, wTCPDstOXM), flowtable.FieldTCPDst)
		e.putField(e.tcpFlags(), flowtable.FieldTCPFlags)
	case proto == flowtable.ProtoUDP:
		e.putField(e.oxm(wUDPSrc, wUDPSrcOXM), flowtable.FieldUDPSrc)
		e.putField(e.oxm(wUDPDst, wUDPDstOXM), flowtable.FieldUDPDst)
	case proto == flowtable.ProtoSCTP:
		e.putField(wSCTPSrc, flowtable.FieldSCTPSrc)
		e.putField(wSCTPDst, flowtable.FieldSCTPDst)
	case proto == flowtable.ProtoICMP && !v6:
		e.putIfAny(e.oxm(wICMPType, wICMPTypeOXM), flowtable.FieldICMPType)
		e.putIfAny(e.oxm(wICMPCode, wICMPCodeOXM), flowtable.FieldICMPCode)
	case proto == flowtable.ProtoICMPv6 && v6:
		e.putIfAny(e.oxm(wICMPv6Type, wICMPv6TypeOXM), flowtable.FieldICMPv6Type)
		e.putIfAny(e.oxm(wICMPv6Code, wICMPv6CodeOXM), flowtable.FieldICMPv6Code)
		tv, tm := e.get(flowtable.FieldICMPv6Type)
		if cv, _ := e.get(flowtable.FieldICMPv6Code); tm.IsZero() || cv.Lo != 0 || (tv.Lo != 135 && tv.Lo != 136) {
			return
		}
		e.putField(e.oxm(wNDTarget, wNDTargetOXM), flowtable.FieldNDTarget)
		if tv.Lo == 135 {
			e.putField(e.oxm(wNDSLL, wNDSLLOXM), flowtable.FieldNDSLL)
		} else {
			e.putField(e.oxm(wNDTLL, wNDTLLOXM), flowtable.FieldNDTLL)
		}
	}
}

// tcpFlags picks tcp_flags' wire form: NXM's through OpenFlow 1.2, ONF's
// experimenter field in 1.3 and 1.4, OXM_OF_TCP_FLAGS from 1.5.
func (e *encoder) tcpFlags() int {
	switch {
	case e.v >= OF15:
		return wTCPFlagsOXM
	case e.v >= OF13:
		return wTCPFlagsONF
	}
	return wTCPFlags
}

// port11 converts an OpenFlow 1.0 port number to OpenFlow 1.1's 32 bits:
// the reserved ports move to the top of the 32-bit space.
func port11(p uint16) uint64 {
	if p >= 0xff00 {
		return uint64(p) + 0xffff0000
	}
	return uint64(p)
}
