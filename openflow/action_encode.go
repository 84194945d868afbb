package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// Action type codes on the wire.
const (
	at10Output     = 0
	at10SetVLANVID = 1
	at10SetVLANPCP = 2
	at10StripVLAN  = 3
	at10SetDLSrc   = 4
	at10SetDLDst   = 5
	at10SetNWSrc   = 6
	at10SetNWDst   = 7
	at10SetNWTOS   = 8
	at10SetTPSrc   = 9
	at10SetTPDst   = 10

	at11Output    = 0
	at11PushVLAN  = 17
	at11PopVLAN   = 18
	at11SetNWTTL  = 23
	at11DecNWTTL  = 24
	at12SetField  = 25
	at15CopyField = 28

	atVendor = 0xffff
	nxVendor = 0x00002320
)

// Nicira extension action subtypes (NXAST_*).
const (
	nxResubmit      = 1
	nxSetTunnel     = 2
	nxRegMove       = 6
	nxRegLoad       = 7
	nxNote          = 8
	nxSetTunnel64   = 9
	nxResubmitTable = 14
	nxOutputReg     = 15
	nxLearn         = 16
	nxDecTTL        = 18
	nxFinTimeout    = 19
	nxController    = 20
	nxDecTTLCntIDs  = 21
	nxRegLoad2      = 33
	nxConjunction   = 34
	nxCT            = 35
	nxCTClear       = 43
	nxResubmitCT    = 44
	nxLearn2        = 45
)

// AppendActions appends acts encoded as an OpenFlow action list for
// version v, as ovs-vswitchd 3.1 encodes them: the standard actions of v
// where they exist and Nicira extensions otherwise. GotoTable is no action
// (see AppendInstructions) and is refused here, as are actions v cannot
// carry.
func AppendActions(b []byte, v Version, acts []flowtable.Action) ([]byte, error) {
	if v < OF10 || v > OF15 {
		return b, fmt.Errorf("openflow: encoding actions: unknown version %#x", uint8(v))
	}
	for i, a := range acts {
		var err error
		if b, err = appendAction(b, v, a); err != nil {
			return b, fmt.Errorf("openflow: action %d (%T): %w", i, a, err)
		}
	}
	return b, nil
}

// std appends a standard action of type t with body (padded to 8 bytes).
func std(b []byte, t uint16, body ...byte) []byte {
	n := (4 + len(body) + 7) / 8 * 8
	b = binary.BigEndian.AppendUint16(b, t)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = append(b, body...)
	for i := 4 + len(body); i < n; i++ {
		b = append(b, 0)
	}
	return b
}

// nxStart appends the header of a Nicira action of subtype st and
// returns its offset; nxEnd pads it to 8 bytes and writes its length.
func nxStart(b []byte, st uint16) ([]byte, int) {
	start := len(b)
	b = append(b, 0xff, 0xff, 0, 0, 0, 0, 0x23, 0x20)
	return binary.BigEndian.AppendUint16(b, st), start
}

func nxEnd(b []byte, start, min int) []byte {
	for len(b)-start < min || (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func ofsNbits(ofs, n int) uint16 { return uint16(ofs<<6 | (n - 1)) }

// appendPort appends an output port: 16 bits in OpenFlow 1.0, 32 bits in
// later versions, where the reserved ports move to 0xffffff00 and up.
func appendPort(b []byte, v Version, p flowtable.Port) []byte {
	if v == OF10 {
		return binary.BigEndian.AppendUint16(b, uint16(p))
	}
	w := uint32(p)
	if p >= flowtable.PortMax {
		w |= 0xffff0000
	}
	return binary.BigEndian.AppendUint32(b, w)
}

func appendOutput(b []byte, v Version, p flowtable.Port, maxLen uint16) []byte {
	if p != flowtable.PortController {
		maxLen = 0
	}
	if v == OF10 {
		return std(b, at10Output, append(appendPort(nil, v, p), be16(maxLen)...)...)
	}
	body := appendPort(nil, v, p)
	body = append(body, be16(maxLen)...)
	return std(b, at11Output, append(body, 0, 0, 0, 0, 0, 0)...)
}

func appendAction(b []byte, v Version, a flowtable.Action) ([]byte, error) {
	switch a := a.(type) {
	case flowtable.Output:
		return appendOutput(b, v, a.Port, a.MaxLen), nil
	case flowtable.Controller:
		if a.Reason == "" || a.Reason == "action" {
			if a.ID == 0 {
				return appendOutput(b, v, flowtable.PortController, a.MaxLen), nil
			}
		}
		reason, ok := reasonCode(a.Reason)
		if !ok {
			return b, fmt.Errorf("unknown controller reason %q", a.Reason)
		}
		b, s := nxStart(b, nxController)
		b = append(b, be16(a.MaxLen)...)
		b = append(b, be16(a.ID)...)
		b = append(b, reason)
		return nxEnd(b, s, 16), nil
	case flowtable.OutputReg:
		b, s := nxStart(b, nxOutputReg)
		b = append(b, be16(ofsNbits(a.Src.Ofs, a.Src.Bits))...)
		b, _, err := appendHeader(b, a.Src.Field, 0, false)
		maxLen := a.MaxLen
		if maxLen == 0 {
			maxLen = 0xffff // what output:SRC[] means
		}
		b = append(b, be16(maxLen)...)
		return nxEnd(b, s, 24), err
	case flowtable.Resubmit:
		// Open vSwitch sends NXAST_RESUBMIT_TABLE even without a table.
		st := uint16(nxResubmitTable)
		if a.CT {
			st = nxResubmitCT
		}
		b, s := nxStart(b, st)
		b = append(b, be16(uint16(a.InPort))...)
		b = append(b, a.Table)
		return nxEnd(b, s, 16), nil
	case flowtable.GotoTable:
		if v == OF10 {
			return appendAction(b, v, flowtable.Resubmit{InPort: flowtable.PortInPort, Table: a.Table})
		}
		return b, fmt.Errorf("goto_table is an instruction, not an action")
	case flowtable.SetField:
		return appendSetField(b, v, a)
	case flowtable.Move:
		if v >= OF15 {
			return appendCopyField(b, v, a)
		}
		b, s := nxStart(b, nxRegMove)
		b = append(b, be16(uint16(a.Src.Bits))...)
		b = append(b, be16(uint16(a.Src.Ofs))...)
		b = append(b, be16(uint16(a.Dst.Ofs))...)
		b, _, err := appendHeader(b, a.Src.Field, 0, false)
		if err != nil {
			return b, err
		}
		b, _, err = appendHeader(b, a.Dst.Field, 0, false)
		return nxEnd(b, s, 24), err
	case flowtable.SetTunnel:
		if v >= OF12 {
			return appendSetField(b, v, flowtable.SetField{Field: flowtable.FieldTunID,
				Value: flowtable.Value{Lo: a.ID}, Mask: flowtable.FieldByID(flowtable.FieldTunID).FullMask()})
		}
		if a.Wide || a.ID > 0xffffffff {
			b, s := nxStart(b, nxSetTunnel64)
			b = append(b, 0, 0, 0, 0, 0, 0)
			b = binary.BigEndian.AppendUint64(b, a.ID)
			return nxEnd(b, s, 24), nil
		}
		b, s := nxStart(b, nxSetTunnel)
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(a.ID))
		return nxEnd(b, s, 16), nil
	case flowtable.Note:
		b, s := nxStart(b, nxNote)
		b = append(b, a.Data...)
		return nxEnd(b, s, 16), nil
	case flowtable.Conjunction:
		b, s := nxStart(b, nxConjunction)
		b = append(b, a.Clause-1, a.NClauses)
		b = binary.BigEndian.AppendUint32(b, a.ID)
		return nxEnd(b, s, 16), nil
	case flowtable.DecTTL:
		if len(a.IDs) == 0 {
			if v == OF10 {
				b, s := nxStart(b, nxDecTTL)
				return nxEnd(b, s, 16), nil
			}
			return std(b, at11DecNWTTL), nil
		}
		b, s := nxStart(b, nxDecTTLCntIDs)
		b = append(b, be16(uint16(len(a.IDs)))...)
		b = append(b, 0, 0, 0, 0)
		for _, id := range a.IDs {
			b = append(b, be16(id)...)
		}
		return nxEnd(b, s, 16), nil
	case flowtable.FinTimeout:
		b, s := nxStart(b, nxFinTimeout)
		b = append(b, be16(a.Idle)...)
		b = append(b, be16(a.Hard)...)
		return nxEnd(b, s, 16), nil
	case flowtable.CTClear:
		b, s := nxStart(b, nxCTClear)
		return nxEnd(b, s, 16), nil
	case flowtable.CT:
		return appendCT(b, v, a)
	case flowtable.Learn:
		return appendLearn(b, a)
	case flowtable.StripVLAN:
		if v == OF10 {
			return std(b, at10StripVLAN), nil
		}
		return std(b, at11PopVLAN), nil
	case flowtable.PushVLAN:
		if v == OF10 {
			return b, fmt.Errorf("push_vlan needs OpenFlow 1.1 or later")
		}
		return std(b, at11PushVLAN, be16(a.Ethertype)...), nil
	case flowtable.SetVLANVID:
		if v == OF10 {
			return std(b, at10SetVLANVID, be16(a.VID)...), nil
		}
		if a.Push {
			b = std(b, at11PushVLAN, 0x81, 0x00)
		}
		return setFieldOXM(b, v, flowtable.FieldVLANVID, flowtable.Value{Lo: uint64(a.VID) | 0x1000})
	case flowtable.SetVLANPCP:
		if v == OF10 {
			return std(b, at10SetVLANPCP, a.PCP), nil
		}
		if a.Push {
			b = std(b, at11PushVLAN, 0x81, 0x00)
		}
		return setFieldOXM(b, v, flowtable.FieldVLANPCP, flowtable.Value{Lo: uint64(a.PCP)})
	case flowtable.SetEthAddr:
		if v == OF10 {
			t := uint16(at10SetDLSrc)
			if a.Dst {
				t = at10SetDLDst
			}
			return std(b, t, append(a.MAC[:], 0, 0, 0, 0, 0, 0)...), nil
		}
		f := flowtable.FieldEthSrc
		if a.Dst {
			f = flowtable.FieldEthDst
		}
		return setFieldOXM(b, v, f, readWireValue(a.MAC[:]))
	case flowtable.SetIPv4Addr:
		if v == OF10 {
			t := uint16(at10SetNWSrc)
			if a.Dst {
				t = at10SetNWDst
			}
			return std(b, t, a.Addr[:]...), nil
		}
		f := flowtable.FieldIPv4Src
		if a.Dst {
			f = flowtable.FieldIPv4Dst
		}
		return setFieldOXM(b, v, f, readWireValue(a.Addr[:]))
	case flowtable.SetIPTOS:
		if v == OF10 {
			return std(b, at10SetNWTOS, a.TOS&^3), nil
		}
		return setFieldOXM(b, v, flowtable.FieldIPDSCP, flowtable.Value{Lo: uint64(a.TOS >> 2)})
	case flowtable.SetIPECN:
		if v == OF10 {
			return appendRegLoad(b, flowtable.Subfield{Field: flowtable.FieldIPECN, Bits: 2}, uint64(a.ECN))
		}
		return setFieldOXM(b, v, flowtable.FieldIPECN, flowtable.Value{Lo: uint64(a.ECN)})
	case flowtable.SetIPTTL:
		if v == OF10 {
			return appendRegLoad(b, flowtable.Subfield{Field: flowtable.FieldIPTTL, Bits: 8}, uint64(a.TTL))
		}
		return std(b, at11SetNWTTL, a.TTL), nil
	case flowtable.SetL4Port:
		if v == OF10 {
			t := uint16(at10SetTPSrc)
			if a.Dst {
				t = at10SetTPDst
			}
			return std(b, t, be16(a.Port)...), nil
		}
		return setFieldOXM(b, v, l4Field(a.Dst, a.Proto), flowtable.Value{Lo: uint64(a.Port)})
	}
	return b, fmt.Errorf("no OpenFlow encoding for %T", a)
}

// reasonCode is the wire value of a controller reason (OFPR_*).
func reasonCode(r string) (uint8, bool) {
	switch r {
	case "", "action":
		return 1, true
	case "no_match":
		return 0, true
	}
	for i, n := range flowtable.ControllerReasons {
		if n == r {
			return uint8(i), true
		}
	}
	return 0, false
}

// reasonName is the flowtable spelling of wire reason code c.
func reasonName(c uint8) (string, bool) {
	switch c {
	case 1:
		return "", true
	case 0:
		return "no_match", true
	}
	if int(c) < len(flowtable.ControllerReasons) {
		return flowtable.ControllerReasons[c], true
	}
	return "", false
}

// l4Field is the field a mod_tp_src/mod_tp_dst sets for the flow's nw_proto.
func l4Field(dst bool, proto uint8) flowtable.FieldID {
	switch proto {
	case 17:
		if dst {
			return flowtable.FieldUDPDst
		}
		return flowtable.FieldUDPSrc
	case 132:
		if dst {
			return flowtable.FieldSCTPDst
		}
		return flowtable.FieldSCTPSrc
	}
	if dst {
		return flowtable.FieldTCPDst
	}
	return flowtable.FieldTCPSrc
}

// setFieldOXM appends OFPAT_SET_FIELD setting all of field f to val.
func setFieldOXM(b []byte, v Version, f flowtable.FieldID, val flowtable.Value) ([]byte, error) {
	start := len(b)
	b = append(b, 0, at12SetField, 0, 0)
	b, h, err := appendHeader(b, f, v, false)
	if err != nil {
		return b[:start], err
	}
	b = appendWireValue(b, val, int(h.len))
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b, nil
}

// setFieldMasked appends an OpenFlow 1.5 OFPAT_SET_FIELD with a mask.
func setFieldMasked(b []byte, v Version, f flowtable.FieldID, val, mask flowtable.Value) ([]byte, error) {
	start := len(b)
	b = append(b, 0, at12SetField, 0, 0)
	b, h, err := appendHeader(b, f, v, true)
	if err != nil {
		return b[:start], err
	}
	b = appendWireValue(b, val, int(h.len))
	b = appendWireValue(b, mask, int(h.len))
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b, nil
}

// appendCopyField appends OpenFlow 1.5 OFPAT_COPY_FIELD, which replaces
// NXAST_REG_MOVE there.
func appendCopyField(b []byte, v Version, m flowtable.Move) ([]byte, error) {
	start := len(b)
	b = append(b, 0, at15CopyField, 0, 0)
	b = append(b, be16(uint16(m.Src.Bits))...)
	b = append(b, be16(uint16(m.Src.Ofs))...)
	b = append(b, be16(uint16(m.Dst.Ofs))...)
	b = append(b, 0, 0)
	b, _, err := appendHeader(b, m.Src.Field, v, false)
	if err != nil {
		return b[:start], err
	}
	if b, _, err = appendHeader(b, m.Dst.Field, v, false); err != nil {
		return b[:start], err
	}
	for (len(b)-start)%8 != 0 {
		b = append(b, 0)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b, nil
}

// wireSubfield widens a whole arp_op to the 16 bits it has on the wire
// (flowtable stores the 8 that can be non-zero).
func wireSubfield(s flowtable.Subfield) flowtable.Subfield {
	if s.Field == flowtable.FieldARPOp && s.Ofs == 0 && s.Bits == 8 {
		s.Bits = 16
	}
	return s
}

// appendRegLoad appends NXAST_REG_LOAD of val into dst.
func appendRegLoad(b []byte, dst flowtable.Subfield, val uint64) ([]byte, error) {
	dst = wireSubfield(dst)
	b, s := nxStart(b, nxRegLoad)
	b = append(b, be16(ofsNbits(dst.Ofs, dst.Bits))...)
	b, _, err := appendHeader(b, dst.Field, 0, false)
	b = binary.BigEndian.AppendUint64(b, val)
	return nxEnd(b, s, 24), err
}

// appendSetField encodes a set_field or load as Open vSwitch does: loads
// stay NXAST_REG_LOAD before OpenFlow 1.5; whole-field sets are
// OFPAT_SET_FIELD from OpenFlow 1.2 and the legacy set actions before.
func appendSetField(b []byte, v Version, a flowtable.SetField) ([]byte, error) {
	f := flowtable.FieldByID(a.Field)
	whole := a.Mask == f.FullMask()
	if v >= OF15 && !whole {
		return setFieldMasked(b, v, a.Field, a.Value, a.Mask)
	}
	if v >= OF15 || !a.Load && whole && v >= OF12 {
		return setFieldOXM(b, v, a.Field, a.Value)
	}
	if !a.Load && whole && v < OF12 {
		if out, ok := legacySet(b, a); ok {
			return out, nil
		}
	}
	// One NXAST_REG_LOAD per run of contiguous mask bits, each at most 64.
	for dst, val := range a.RegLoads {
		var err error
		if b, err = appendRegLoad(b, dst, val); err != nil {
			return b, err
		}
	}
	return b, nil
}

// legacySet encodes a whole-field set_field as an OpenFlow 1.0 set action
// where one exists.
func legacySet(b []byte, a flowtable.SetField) ([]byte, bool) {
	val := a.Value.Lo
	switch a.Field {
	case flowtable.FieldVLANVID:
		return std(b, at10SetVLANVID, be16(uint16(val&0xfff))...), true
	case flowtable.FieldVLANPCP:
		return std(b, at10SetVLANPCP, byte(val)), true
	case flowtable.FieldEthSrc, flowtable.FieldEthDst:
		t := uint16(at10SetDLSrc)
		if a.Field == flowtable.FieldEthDst {
			t = at10SetDLDst
		}
		mac := appendWireValue(nil, a.Value, 6)
		return std(b, t, append(mac, 0, 0, 0, 0, 0, 0)...), true
	case flowtable.FieldIPv4Src, flowtable.FieldIPv4Dst:
		t := uint16(at10SetNWSrc)
		if a.Field == flowtable.FieldIPv4Dst {
			t = at10SetNWDst
		}
		return std(b, t, appendWireValue(nil, a.Value, 4)...), true
	case flowtable.FieldIPDSCP:
		return std(b, at10SetNWTOS, byte(val<<2)), true
	case flowtable.FieldTCPSrc, flowtable.FieldUDPSrc:
		return std(b, at10SetTPSrc, be16(uint16(val))...), true
	case flowtable.FieldTCPDst, flowtable.FieldUDPDst:
		return std(b, at10SetTPDst, be16(uint16(val))...), true
	}
	return b, false
}

// appendCT appends NXAST_CT with its nested exec actions.
func appendCT(b []byte, v Version, c flowtable.CT) ([]byte, error) {
	b, s := nxStart(b, nxCT)
	var flags uint16
	if c.Commit {
		flags |= 1
	}
	if c.Force {
		flags |= 2
	}
	b = append(b, be16(flags)...)
	var err error
	if c.ZoneSrc.Field != flowtable.FieldNone {
		if b, _, err = appendHeader(b, c.ZoneSrc.Field, 0, false); err != nil {
			return b, err
		}
		b = append(b, be16(ofsNbits(c.ZoneSrc.Ofs, c.ZoneSrc.Bits))...)
	} else {
		b = append(b, 0, 0, 0, 0)
		b = append(b, be16(c.Zone)...)
	}
	b = append(b, c.Table, 0, 0, 0)
	b = append(b, be16(c.Alg)...)
	if c.NAT != nil {
		b = appendNAT(b, c.NAT)
	}
	if b, err = AppendActions(b, v, c.Exec); err != nil {
		return b, fmt.Errorf("ct exec: %w", err)
	}
	return nxEnd(b, s, 24), nil
}

// Learn flags.
const (
	learnSendFlowRem   = 1
	learnDeleteLearned = 2
	learnWriteResult   = 4
)

// appendLearn appends NXAST_LEARN, or NXAST_LEARN2 when limit or
// result_dst is set.
func appendLearn(b []byte, l flowtable.Learn) ([]byte, error) {
	two := l.Limit != 0 || l.Result.Bits != 0
	st := uint16(nxLearn)
	if two {
		st = nxLearn2
	}
	b, s := nxStart(b, st)
	var flags uint16
	if l.SendFlowRem {
		flags |= learnSendFlowRem
	}
	if l.DeleteLearned {
		flags |= learnDeleteLearned
	}
	if l.Result.Bits != 0 {
		flags |= learnWriteResult
	}
	b = append(b, be16(l.IdleTimeout)...)
	b = append(b, be16(l.HardTimeout)...)
	b = append(b, be16(l.Priority)...)
	b = binary.BigEndian.AppendUint64(b, l.Cookie)
	b = append(b, be16(flags)...)
	b = append(b, l.Table, 0)
	b = append(b, be16(l.FinIdleTimeout)...)
	b = append(b, be16(l.FinHardTimeout)...)
	var err error
	if two {
		b = binary.BigEndian.AppendUint32(b, l.Limit)
		b = append(b, be16(uint16(l.Result.Ofs))...)
		b = append(b, 0, 0)
		if l.Result.Bits != 0 {
			if b, _, err = appendHeader(b, l.Result.Field, 0, false); err != nil {
				return b, err
			}
		}
	}
	for _, sp := range l.Specs {
		if b, err = appendLearnSpec(b, sp); err != nil {
			return b, err
		}
	}
	return nxEnd(b, s, 32), nil
}

func appendLearnSpec(b []byte, sp flowtable.LearnSpec) ([]byte, error) {
	n := sp.Dst.Bits
	if sp.Kind == flowtable.LearnOutput || !sp.SrcIsImm {
		n = sp.Src.Bits
	}
	hdr := uint16(n) | uint16(sp.Kind)<<11
	if sp.SrcIsImm {
		hdr |= 1 << 13
	}
	b = append(b, be16(hdr)...)
	var err error
	if sp.SrcIsImm {
		b = appendWireValue(b, sp.Imm, (n+15)/16*2)
	} else {
		if b, _, err = appendHeader(b, sp.Src.Field, 0, false); err != nil {
			return b, err
		}
		b = append(b, be16(uint16(sp.Src.Ofs))...)
	}
	if sp.Kind != flowtable.LearnOutput {
		if b, _, err = appendHeader(b, sp.Dst.Field, 0, false); err != nil {
			return b, err
		}
		b = append(b, be16(uint16(sp.Dst.Ofs))...)
	}
	return b, nil
}
