package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// ParseActions decodes an OpenFlow action list of version v into
// flowtable actions. It accepts what AppendActions writes and refuses,
// with an error naming the action, anything else.
func ParseActions(v Version, b []byte) ([]flowtable.Action, error) {
	if v < OF10 || v > OF15 {
		return nil, fmt.Errorf("openflow: decoding actions: unknown version %#x", uint8(v))
	}
	var acts []flowtable.Action
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return nil, fmt.Errorf("openflow: action at %d: %w", off, ErrShort)
		}
		n := int(binary.BigEndian.Uint16(b[off+2:]))
		if n < 8 || n%8 != 0 || off+n > len(b) {
			return nil, fmt.Errorf("openflow: action at %d has bad length %d", off, n)
		}
		var err error
		acts, err = parseAction(acts, v, b[off:off+n])
		if err != nil {
			return nil, fmt.Errorf("openflow: action at %d: %w", off, err)
		}
		off += n
	}
	return acts, nil
}

func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func u32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func parsePort(v Version, b []byte) flowtable.Port {
	if v == OF10 {
		return flowtable.Port(u16(b))
	}
	p := u32(b)
	if p >= 0xffffff00 {
		return flowtable.Port(p & 0xffff)
	}
	if p > 0xffff {
		return flowtable.PortNone
	}
	return flowtable.Port(p)
}

func outputAction(p flowtable.Port, maxLen uint16) flowtable.Action {
	if p == flowtable.PortController {
		return flowtable.Controller{MaxLen: maxLen}
	}
	return flowtable.Output{Port: p}
}

// parseAction decodes the one action a (its length already checked).
func parseAction(acts []flowtable.Action, v Version, a []byte) ([]flowtable.Action, error) {
	t := u16(a)
	need := func(n int) error {
		if len(a) < n {
			return fmt.Errorf("action type %d is %d bytes, want %d", t, len(a), n)
		}
		return nil
	}
	if t == atVendor {
		return parseNX(acts, v, a)
	}
	if v == OF10 {
		switch t {
		case at10Output:
			return append(acts, outputAction(flowtable.Port(u16(a[4:])), u16(a[6:]))), nil
		case at10SetVLANVID:
			return append(acts, flowtable.SetVLANVID{VID: u16(a[4:]) & 0xfff, Push: true}), nil
		case at10SetVLANPCP:
			return append(acts, flowtable.SetVLANPCP{PCP: a[4] & 7, Push: true}), nil
		case at10StripVLAN:
			return append(acts, flowtable.StripVLAN{}), nil
		case at10SetDLSrc, at10SetDLDst:
			if err := need(16); err != nil {
				return nil, err
			}
			s := flowtable.SetEthAddr{Dst: t == at10SetDLDst}
			copy(s.MAC[:], a[4:10])
			return append(acts, s), nil
		case at10SetNWSrc, at10SetNWDst:
			s := flowtable.SetIPv4Addr{Dst: t == at10SetNWDst}
			copy(s.Addr[:], a[4:8])
			return append(acts, s), nil
		case at10SetNWTOS:
			return append(acts, flowtable.SetIPTOS{TOS: a[4] &^ 3}), nil
		case at10SetTPSrc, at10SetTPDst:
			return append(acts, flowtable.SetL4Port{Dst: t == at10SetTPDst, Port: u16(a[4:])}), nil
		}
		return nil, fmt.Errorf("unsupported OpenFlow 1.0 action type %d", t)
	}
	switch t {
	case at11Output:
		if err := need(16); err != nil {
			return nil, err
		}
		return append(acts, outputAction(parsePort(v, a[4:]), u16(a[8:]))), nil
	case at11PushVLAN:
		return append(acts, flowtable.PushVLAN{Ethertype: u16(a[4:])}), nil
	case at11PopVLAN:
		return append(acts, flowtable.StripVLAN{}), nil
	case at11SetNWTTL:
		return append(acts, flowtable.SetIPTTL{TTL: a[4]}), nil
	case at11DecNWTTL:
		return append(acts, flowtable.DecTTL{}), nil
	case at12SetField:
		if v < OF12 {
			break
		}
		h, mask, err := parseFieldHeader(a[4:])
		if err != nil {
			return nil, err
		}
		n := int(h.len)
		if mask && v < OF15 {
			return nil, fmt.Errorf("masked set_field of %s needs OpenFlow 1.5", fieldName(h.id))
		}
		if mask && len(a) < 8+2*n || len(a) < 8+n {
			return nil, fmt.Errorf("set_field of %s: %w", fieldName(h.id), ErrShort)
		}
		f := flowtable.FieldByID(h.id)
		sf := flowtable.SetField{Field: h.id, Value: readWireValue(a[8 : 8+n]), Mask: f.FullMask()}
		if mask {
			var mk flowtable.Key
			mk.Set(f, readWireValue(a[8+n:8+2*n]))
			sf.Mask = mk.Get(f)
			sf.Value = sf.Value.And(sf.Mask)
		}
		var vk flowtable.Key
		vk.Set(f, sf.Value)
		if vk.Get(f) != sf.Value {
			return nil, fmt.Errorf("set_field value %#x too wide for %s", sf.Value.Lo, f.Name)
		}
		return append(acts, sf), nil
	case at15CopyField:
		if v < OF15 || len(a) < 20 {
			break
		}
		n, so, do := int(u16(a[4:])), int(u16(a[6:])), int(u16(a[8:]))
		src, err := subfield(a[12:], so, n)
		if err != nil {
			return nil, fmt.Errorf("copy_field source: %w", err)
		}
		dst, err := subfield(a[16:], do, n)
		if err != nil {
			return nil, fmt.Errorf("copy_field destination: %w", err)
		}
		return append(acts, flowtable.Move{Src: src, Dst: dst}), nil
	}
	return nil, fmt.Errorf("unsupported %v action type %d", v, t)
}

// subfieldAt decodes a field header at b and an ofs/n_bits pair.
func subfield(b []byte, ofs, n int) (flowtable.Subfield, error) {
	h, mask, err := parseFieldHeader(b)
	if err != nil {
		return flowtable.Subfield{}, err
	}
	f := flowtable.FieldByID(h.id)
	if h.id == flowtable.FieldARPOp && ofs == 0 && n == 16 {
		n = 8 // the wire's 16 bits, of which flowtable stores the 8 that can be set
	}
	if mask || n < 1 || ofs < 0 || ofs+n > f.Bits {
		return flowtable.Subfield{}, fmt.Errorf("bad subfield %s[%d+%d]", f.Name, ofs, n)
	}
	return flowtable.Subfield{Field: h.id, Ofs: ofs, Bits: n}, nil
}

func parseNX(acts []flowtable.Action, v Version, a []byte) ([]flowtable.Action, error) {
	if len(a) < 16 {
		return nil, fmt.Errorf("vendor action of %d bytes", len(a))
	}
	if u32(a[4:]) != nxVendor {
		return nil, fmt.Errorf("unsupported vendor %#x", u32(a[4:]))
	}
	st := u16(a[8:])
	body := a[10:]
	need := func(n int) error {
		if len(a) < n {
			return fmt.Errorf("NXAST %d is %d bytes, want %d", st, len(a), n)
		}
		return nil
	}
	switch st {
	case nxResubmit, nxResubmitTable, nxResubmitCT:
		r := flowtable.Resubmit{InPort: flowtable.Port(u16(body)), Table: flowtable.TableCurrent}
		if st != nxResubmit {
			r.Table = body[2]
		}
		r.CT = st == nxResubmitCT
		return append(acts, r), nil
	case nxSetTunnel:
		return append(acts, flowtable.SetTunnel{ID: uint64(u32(body[2:]))}), nil
	case nxSetTunnel64:
		if err := need(24); err != nil {
			return nil, err
		}
		return append(acts, flowtable.SetTunnel{ID: binary.BigEndian.Uint64(body[6:]), Wide: true}), nil
	case nxRegMove:
		if err := need(24); err != nil {
			return nil, err
		}
		n, so, do := int(u16(body)), int(u16(body[2:])), int(u16(body[4:]))
		src, err := subfield(body[6:], so, n)
		if err != nil {
			return nil, err
		}
		dst, err := subfield(body[10:], do, n)
		if err != nil {
			return nil, err
		}
		return append(acts, flowtable.Move{Src: src, Dst: dst}), nil
	case nxRegLoad:
		if err := need(24); err != nil {
			return nil, err
		}
		on := u16(body)
		dst, err := subfield(body[2:], int(on>>6), int(on&0x3f)+1)
		if err != nil {
			return nil, err
		}
		val := binary.BigEndian.Uint64(body[6:])
		if dst.Bits < 64 && val>>dst.Bits != 0 {
			return nil, fmt.Errorf("reg_load value %#x wider than %d bits", val, dst.Bits)
		}
		f := flowtable.FieldByID(dst.Field)
		var vk, mk flowtable.Key
		vk.SetBits(f, dst.Ofs, dst.Bits, flowtable.Value{Lo: val})
		mk.SetBits(f, dst.Ofs, dst.Bits, flowtable.OnesValue(dst.Bits))
		return append(acts, flowtable.SetField{Field: dst.Field, Value: vk.Get(f), Mask: mk.Get(f), Load: true}), nil
	case nxNote:
		return append(acts, flowtable.Note{Data: append([]byte(nil), body...)}), nil
	case nxOutputReg:
		if err := need(24); err != nil {
			return nil, err
		}
		on := u16(body)
		src, err := subfield(body[2:], int(on>>6), int(on&0x3f)+1)
		if err != nil {
			return nil, err
		}
		o := flowtable.OutputReg{Src: src, MaxLen: u16(body[6:])}
		if o.MaxLen == 0xffff {
			o.MaxLen = 0
		}
		return append(acts, o), nil
	case nxDecTTL:
		return append(acts, flowtable.DecTTL{}), nil
	case nxDecTTLCntIDs:
		n := int(u16(body))
		if 16+2*n > len(a) {
			return nil, fmt.Errorf("dec_ttl with %d ids in %d bytes", n, len(a))
		}
		d := flowtable.DecTTL{}
		for i := 0; i < n; i++ {
			d.IDs = append(d.IDs, u16(a[16+2*i:]))
		}
		return append(acts, d), nil
	case nxFinTimeout:
		return append(acts, flowtable.FinTimeout{Idle: u16(body), Hard: u16(body[2:])}), nil
	case nxController:
		r, ok := reasonName(body[4])
		if !ok {
			return nil, fmt.Errorf("controller reason %d", body[4])
		}
		c := flowtable.Controller{MaxLen: u16(body), ID: u16(body[2:]), Reason: r}
		return append(acts, c), nil
	case nxConjunction:
		k, n := body[0]+1, body[1]
		if n < 2 || n > 64 || k < 1 || k > n {
			return nil, fmt.Errorf("conjunction clause %d/%d", k, n)
		}
		return append(acts, flowtable.Conjunction{ID: u32(body[2:]), Clause: k, NClauses: n}), nil
	case nxCTClear:
		return append(acts, flowtable.CTClear{}), nil
	case nxCT:
		return parseCT(acts, v, a)
	case nxLearn, nxLearn2:
		return parseLearn(acts, a, st == nxLearn2)
	}
	return nil, fmt.Errorf("unsupported Nicira action subtype %d", st)
}

func parseCT(acts []flowtable.Action, v Version, a []byte) ([]flowtable.Action, error) {
	if len(a) < 24 {
		return nil, fmt.Errorf("ct action of %d bytes", len(a))
	}
	flags := u16(a[10:])
	if flags&^3 != 0 {
		return nil, fmt.Errorf("ct flags %#x not supported", flags)
	}
	c := flowtable.CT{Commit: flags&1 != 0, Force: flags&2 != 0, Table: a[18], Alg: u16(a[22:])}
	if u32(a[12:]) != 0 {
		on := u16(a[16:])
		zs, err := subfield(a[12:], int(on>>6), int(on&0x3f)+1)
		if err != nil {
			return nil, fmt.Errorf("ct zone: %w", err)
		}
		c.ZoneSrc = zs
	} else {
		c.Zone = u16(a[16:])
	}
	nested := a[24:]
	// A nat comes first among the nested actions, as Open vSwitch sends it.
	if len(nested) >= 16 && u16(nested) == atVendor && u32(nested[4:]) == nxVendor && u16(nested[8:]) == nxNAT {
		n := int(u16(nested[2:]))
		if n < 16 || n%8 != 0 || n > len(nested) {
			return nil, fmt.Errorf("ct nat has bad length %d", n)
		}
		nat, err := parseNAT(nested[:n])
		if err != nil {
			return nil, fmt.Errorf("ct: %w", err)
		}
		c.NAT, nested = nat, nested[n:]
	}
	exec, err := ParseActions(v, nested)
	if err != nil {
		return nil, fmt.Errorf("ct exec: %w", err)
	}
	for _, e := range exec {
		if sf, ok := e.(flowtable.SetField); !ok || sf.Field != flowtable.FieldCTMark && sf.Field != flowtable.FieldCTLabel {
			return nil, fmt.Errorf("ct exec may only set ct_mark or ct_label, not %T", e)
		}
	}
	c.Exec = exec
	return append(acts, c), nil
}

func parseLearn(acts []flowtable.Action, a []byte, two bool) ([]flowtable.Action, error) {
	if len(a) < 32 {
		return nil, fmt.Errorf("learn action of %d bytes", len(a))
	}
	flags := u16(a[24:])
	if flags&^7 != 0 {
		return nil, fmt.Errorf("learn flags %#x not supported", flags)
	}
	l := flowtable.Learn{IdleTimeout: u16(a[10:]), HardTimeout: u16(a[12:]), Priority: u16(a[14:]),
		Cookie: binary.BigEndian.Uint64(a[16:]), Table: a[26], FinIdleTimeout: u16(a[28:]), FinHardTimeout: u16(a[30:]),
		SendFlowRem: flags&learnSendFlowRem != 0, DeleteLearned: flags&learnDeleteLearned != 0}
	p := a[32:]
	if two {
		if len(p) < 8 {
			return nil, fmt.Errorf("learn2: %w", ErrShort)
		}
		l.Limit = u32(p)
		ofs := int(u16(p[4:]))
		p = p[8:]
		if flags&learnWriteResult != 0 {
			rs, err := subfield(p, ofs, 1)
			if err != nil {
				return nil, fmt.Errorf("learn result_dst: %w", err)
			}
			l.Result = rs
			p = p[4:]
		}
	} else if flags&learnWriteResult != 0 {
		return nil, fmt.Errorf("learn result_dst needs NXAST_LEARN2")
	}
	for len(p) >= 2 && u16(p) != 0 {
		hdr := u16(p)
		p = p[2:]
		n := int(hdr & 0x7ff)
		kind := flowtable.LearnSpecKind(hdr >> 11 & 3)
		if hdr>>14 != 0 || kind > flowtable.LearnOutput || n == 0 {
			return nil, fmt.Errorf("bad learn spec header %#04x", hdr)
		}
		sp := flowtable.LearnSpec{Kind: kind, SrcIsImm: hdr&(1<<13) != 0}
		if sp.SrcIsImm && kind == flowtable.LearnOutput {
			return nil, fmt.Errorf("learn output from an immediate")
		}
		if sp.SrcIsImm {
			w := (n + 15) / 16 * 2
			if len(p) < w || w > 16 {
				return nil, fmt.Errorf("learn immediate of %d bits", n)
			}
			sp.Imm = readWireValue(p[:w])
			p = p[w:]
		} else {
			if len(p) < 6 {
				return nil, fmt.Errorf("learn spec: %w", ErrShort)
			}
			s, err := subfield(p, int(u16(p[4:])), n)
			if err != nil {
				return nil, fmt.Errorf("learn source: %w", err)
			}
			sp.Src = s
			p = p[6:]
		}
		if kind != flowtable.LearnOutput {
			if len(p) < 6 {
				return nil, fmt.Errorf("learn spec: %w", ErrShort)
			}
			d, err := subfield(p, int(u16(p[4:])), n)
			if err != nil {
				return nil, fmt.Errorf("learn destination: %w", err)
			}
			sp.Dst = d
			p = p[6:]
		}
		sp.Spelling = learnSpelling(sp)
		l.Specs = append(l.Specs, sp)
	}
	for _, c := range p {
		if c != 0 {
			return nil, fmt.Errorf("learn: non-zero padding")
		}
	}
	return append(acts, l), nil
}

// learnSpelling picks how a decoded spec prints, as ovs-ofctl prints it.
func learnSpelling(sp flowtable.LearnSpec) flowtable.LearnSpelling {
	switch {
	case sp.Kind == flowtable.LearnOutput:
		return flowtable.LearnSpellOutput
	case sp.Kind == flowtable.LearnLoad:
		return flowtable.LearnSpellLoad
	case sp.SrcIsImm:
		return flowtable.LearnSpellImm
	case sp.Src == sp.Dst:
		return flowtable.LearnSpellSame
	}
	return flowtable.LearnSpellPair
}
