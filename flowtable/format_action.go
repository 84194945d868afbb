package flowtable

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatActions prints an action list as ovs-ofctl does ("drop" when empty).
func FormatActions(acts []Action, opts FormatOptions) string {
	if len(acts) == 0 {
		return "drop"
	}
	aw := &actionWriter{o: &opts}
	aw.list(acts)
	out := aw.parts
	if len(out) == 0 {
		return "drop"
	}
	return strings.Join(out, ",")
}

type actionWriter struct {
	o      *FormatOptions
	parts  []string
	pushed bool // an OpenFlow 1.3 push_vlan was printed for this list
}

func (aw *actionWriter) add(s string)               { aw.parts = append(aw.parts, s) }
func (aw *actionWriter) addf(f string, args ...any) { aw.add(fmt.Sprintf(f, args...)) }
func (aw *actionWriter) of10() bool                 { return !aw.o.OF13 && !aw.o.Exact }

// legacy reports whether the OpenFlow 1.0 actions (mod_dl_src, mod_nw_*,
// mod_tp_*, set_tunnel) keep their own spelling: in OpenFlow 1.0 dumps and
// in exact prints.
func (aw *actionWriter) legacy() bool                 { return aw.of10() || aw.o.Exact }
func (aw *actionWriter) sub(acts []Action) string     { return FormatActions(acts, *aw.o) }
func (aw *actionWriter) subfield(s Subfield) string   { return formatSubfield(s) }
func (aw *actionWriter) setField(f FieldID, v string) { aw.addf("set_field:%s->%s", v, fields[f].Name) }

func (aw *actionWriter) list(acts []Action) {
	for _, a := range acts {
		aw.action(a)
	}
}

// pushVLAN prints the push_vlan an OpenFlow 1.3 encoding of mod_vlan_vid
// or mod_vlan_pcp needs, once per list.
func (aw *actionWriter) pushVLAN() {
	if !aw.pushed {
		aw.add("push_vlan:0x8100")
		aw.pushed = true
	}
}

func (aw *actionWriter) action(a Action) {
	o := aw.o
	switch a := a.(type) {
	case Output:
		switch a.Port {
		case PortInPort, PortNormal, PortFlood, PortAll, PortLocal:
			aw.add(portString(a.Port))
		default:
			aw.add("output:" + o.port(a.Port))
		}
	case OutputReg:
		aw.add("output:" + formatSubfield(a.Src))
	case Controller:
		if a.Reason == "" && a.ID == 0 {
			aw.addf("CONTROLLER:%d", a.MaxLen)
			return
		}
		var s []string
		if a.Reason != "" {
			s = append(s, "reason="+a.Reason)
		}
		if a.MaxLen != 65535 {
			s = append(s, fmt.Sprintf("max_len=%d", a.MaxLen))
		}
		if a.ID != 0 {
			s = append(s, fmt.Sprintf("id=%d", a.ID))
		}
		aw.add("controller(" + strings.Join(s, ",") + ")")
	case Resubmit:
		switch {
		case a.InPort != PortInPort && a.Table == TableCurrent && !a.CT:
			aw.add("resubmit:" + o.port(a.InPort))
		default:
			s := "resubmit("
			if a.InPort != PortInPort {
				s += o.port(a.InPort)
			}
			s += ","
			if a.Table != TableCurrent {
				s += strconv.Itoa(int(a.Table))
			}
			if a.CT {
				s += ",ct"
			}
			aw.add(s + ")")
		}
	case GotoTable:
		if aw.of10() {
			aw.addf("resubmit(,%d)", a.Table)
		} else {
			aw.addf("goto_table:%d", a.Table)
		}
	case SetVLANVID:
		if aw.o.OF13 && !aw.o.Exact && a.Push {
			aw.pushVLAN()
			aw.setField(FieldVLANVID, strconv.Itoa(int(a.VID)|0x1000))
		} else {
			aw.addf("mod_vlan_vid:%d", a.VID)
		}
	case SetVLANPCP:
		if aw.o.OF13 && !aw.o.Exact && a.Push {
			aw.pushVLAN()
			aw.setField(FieldVLANPCP, strconv.Itoa(int(a.PCP)))
		} else {
			aw.addf("mod_vlan_pcp:%d", a.PCP)
		}
	case StripVLAN:
		if aw.of10() {
			aw.add("strip_vlan")
		} else {
			aw.add("pop_vlan")
		}
	case PushVLAN:
		if !aw.of10() {
			// OpenFlow 1.0 has no push: mod_vlan_vid pushes when needed.
			aw.addf("push_vlan:0x%04x", a.Ethertype)
			aw.pushed = true
		}
	case SetEthAddr:
		mac := macString(mac48(a.MAC))
		switch {
		case aw.legacy() && a.Dst:
			aw.add("mod_dl_dst:" + mac)
		case aw.legacy():
			aw.add("mod_dl_src:" + mac)
		case a.Dst:
			aw.setField(FieldEthDst, mac)
		default:
			aw.setField(FieldEthSrc, mac)
		}
	case SetIPv4Addr:
		ip := ip4String(uint64(be32(a.Addr[:])))
		switch {
		case aw.legacy() && a.Dst:
			aw.add("mod_nw_dst:" + ip)
		case aw.legacy():
			aw.add("mod_nw_src:" + ip)
		case a.Dst:
			aw.setField(FieldIPv4Dst, ip)
		default:
			aw.setField(FieldIPv4Src, ip)
		}
	case SetIPTOS:
		if aw.legacy() {
			aw.addf("mod_nw_tos:%d", a.TOS)
		} else {
			aw.setField(FieldIPDSCP, strconv.Itoa(int(a.TOS>>2)))
		}
	case SetIPECN:
		if aw.o.Exact {
			aw.addf("mod_nw_ecn:%d", a.ECN)
		} else if aw.of10() {
			aw.addf("load:%s->NXM_NX_IP_ECN[]", hex0(uint64(a.ECN)))
		} else {
			aw.setField(FieldIPECN, strconv.Itoa(int(a.ECN)))
		}
	case SetIPTTL:
		if aw.of10() {
			aw.addf("load:%s->NXM_NX_IP_TTL[]", hex0(uint64(a.TTL)))
		} else {
			aw.addf("mod_nw_ttl:%d", a.TTL)
		}
	case SetL4Port:
		if aw.legacy() || !isL4(a.Proto) {
			if a.Dst {
				aw.addf("mod_tp_dst:%d", a.Port)
			} else {
				aw.addf("mod_tp_src:%d", a.Port)
			}
			return
		}
		id := l4Field(a.Proto, a.Dst)
		aw.setField(id, strconv.Itoa(int(a.Port)))
	case DecTTL:
		if len(a.IDs) == 0 {
			aw.add("dec_ttl")
			return
		}
		ids := make([]string, len(a.IDs))
		for i, id := range a.IDs {
			ids[i] = strconv.Itoa(int(id))
		}
		aw.add("dec_ttl(" + strings.Join(ids, ",") + ")")
	case SetField:
		aw.setFieldAction(a)
	case Move:
		aw.add("move:" + formatSubfield(a.Src) + "->" + formatSubfield(a.Dst))
	case SetTunnel:
		switch {
		case !aw.legacy():
			aw.setField(FieldTunID, hex0(a.ID))
		case a.Wide || a.ID > 0xffffffff:
			aw.add("set_tunnel64:" + hex0(a.ID))
		default:
			aw.add("set_tunnel:" + hex0(a.ID))
		}
	case Conjunction:
		aw.addf("conjunction(%d,%d/%d)", a.ID, a.Clause, a.NClauses)
	case CT:
		aw.add(aw.ct(&a))
	case CTClear:
		aw.add("ct_clear")
	case Note:
		hexes := make([]string, len(a.Data))
		for i, b := range a.Data {
			hexes[i] = fmt.Sprintf("%02x", b)
		}
		aw.add("note:" + strings.Join(hexes, "."))
	case Learn:
		aw.add(aw.learn(&a))
	default:
		aw.addf("<unknown action %T>", a)
	}
}

func isL4(proto uint8) bool { return proto == ProtoTCP || proto == ProtoUDP || proto == ProtoSCTP }

func l4Field(proto uint8, dst bool) FieldID {
	switch proto {
	case ProtoUDP:
		if dst {
			return FieldUDPDst
		}
		return FieldUDPSrc
	case ProtoSCTP:
		if dst {
			return FieldSCTPDst
		}
		return FieldSCTPSrc
	}
	if dst {
		return FieldTCPDst
	}
	return FieldTCPSrc
}

func mac48(m [6]byte) uint64 {
	var v uint64
	for _, b := range m {
		v = v<<8 | uint64(b)
	}
	return v
}

// nxmName is the name a field has in subfield syntax: NXM, else OXM, else
// the plain name.
func nxmName(f *Field) string {
	switch {
	case f.NXM != "":
		return f.NXM
	case f.OXM != "":
		return f.OXM
	}
	return f.Name
}

func formatSubfield(s Subfield) string {
	f := &fields[s.Field]
	name := nxmName(f)
	switch {
	case s.Ofs == 0 && s.Bits == f.Bits:
		return name + "[]"
	case s.Bits == 1:
		return fmt.Sprintf("%s[%d]", name, s.Ofs)
	}
	return fmt.Sprintf("%s[%d..%d]", name, s.Ofs, s.Ofs+s.Bits-1)
}

// legacyOF10 maps whole-field set_field actions to the OpenFlow 1.0
// actions Open vSwitch prints for them.
func (aw *actionWriter) legacyOF10(a SetField) bool {
	v := a.Value
	switch a.Field {
	case FieldEthSrc:
		aw.add("mod_dl_src:" + macString(v.Lo))
	case FieldEthDst:
		aw.add("mod_dl_dst:" + macString(v.Lo))
	case FieldIPv4Src:
		aw.add("mod_nw_src:" + ip4String(v.Lo))
	case FieldIPv4Dst:
		aw.add("mod_nw_dst:" + ip4String(v.Lo))
	case FieldIPDSCP:
		aw.addf("mod_nw_tos:%d", v.Lo<<2)
	case FieldIPTOS:
		aw.addf("mod_nw_tos:%d", v.Lo)
	case FieldVLANVID:
		aw.addf("mod_vlan_vid:%d", v.Lo&0xfff)
	case FieldVLANPCP:
		aw.addf("mod_vlan_pcp:%d", v.Lo)
	case FieldTCPSrc, FieldUDPSrc:
		aw.addf("mod_tp_src:%d", v.Lo)
	case FieldTCPDst, FieldUDPDst:
		aw.addf("mod_tp_dst:%d", v.Lo)
	default:
		return false
	}
	return true
}

func (aw *actionWriter) setFieldAction(a SetField) {
	f := &fields[a.Field]
	whole := a.Mask == f.FullMask()
	if !a.Load && !whole && aw.o.Exact {
		aw.addf("set_field:%s/%s->%s", formatValue(f, a.Value, aw.o), formatValue(f, a.Mask, aw.o), f.Name)
		return
	}
	if !a.Load && whole {
		if !aw.of10() {
			aw.setField(a.Field, formatValue(f, a.Value, aw.o))
			return
		}
		if aw.legacyOF10(a) {
			return
		}
	}
	// As reg_load: one load per contiguous run of mask bits, in 64-bit
	// pieces for wider fields (Open vSwitch's NXAST_REG_LOAD).
	name := nxmName(f)
	if whole && f.Bits <= 64 {
		aw.addf("load:%s->%s[]", hex0(a.Value.Lo), name)
		return
	}
	var mk, vk Key
	mk.Set(f, a.Mask)
	vk.Set(f, a.Value)
	for ofs := 0; ofs < f.Bits; {
		if mk.GetBits(f, ofs, 1).IsZero() {
			ofs++
			continue
		}
		n := 1
		for ofs+n < f.Bits && (ofs+n)%64 != 0 && !mk.GetBits(f, ofs+n, 1).IsZero() {
			n++
		}
		val := vk.GetBits(f, ofs, n)
		aw.addf("load:%s->%s", hex0(val.Lo), formatSubfield(Subfield{Field: a.Field, Ofs: ofs, Bits: n}))
		ofs += n
	}
}

func (aw *actionWriter) ct(c *CT) string {
	var s []string
	if c.Commit {
		s = append(s, "commit")
	}
	if c.Force {
		s = append(s, "force")
	}
	if c.Table != TableCurrent {
		s = append(s, fmt.Sprintf("table=%d", c.Table))
	}
	if c.ZoneSrc.Field != FieldNone {
		s = append(s, "zone="+formatSubfield(c.ZoneSrc))
	} else if c.Zone != 0 {
		s = append(s, fmt.Sprintf("zone=%d", c.Zone))
	}
	if c.NAT != nil {
		s = append(s, formatNAT(c.NAT))
	}
	if len(c.Exec) > 0 {
		s = append(s, "exec("+aw.sub(c.Exec)+")")
	}
	switch c.Alg {
	case 0:
	case 21:
		s = append(s, "alg=ftp")
	case 69:
		s = append(s, "alg=tftp")
	default:
		s = append(s, fmt.Sprintf("alg=%d", c.Alg))
	}
	return "ct(" + strings.Join(s, ",") + ")"
}

func formatNAT(n *NAT) string {
	if !n.Src && !n.Dst {
		return "nat"
	}
	var b strings.Builder
	if n.Src {
		b.WriteString("nat(src=")
	} else {
		b.WriteString("nat(dst=")
	}
	addr := func(a string, v6 bool) string {
		if v6 && n.PortMin != 0 {
			return "[" + a + "]"
		}
		return a
	}
	if n.AddrMin.IsValid() {
		v6 := n.AddrMin.Is6()
		b.WriteString(addr(n.AddrMin.String(), v6))
		if n.AddrMax.IsValid() && n.AddrMax != n.AddrMin {
			b.WriteString("-" + addr(n.AddrMax.String(), v6))
		}
	}
	if n.PortMin != 0 {
		fmt.Fprintf(&b, ":%d", n.PortMin)
		if n.PortMax != n.PortMin {
			fmt.Fprintf(&b, "-%d", n.PortMax)
		}
	}
	if n.Persistent {
		b.WriteString(",persistent")
	}
	if n.Hash {
		b.WriteString(",hash")
	}
	if n.Random {
		b.WriteString(",random")
	}
	b.WriteByte(')')
	return b.String()
}

func (aw *actionWriter) learn(l *Learn) string {
	s := []string{fmt.Sprintf("table=%d", l.Table)}
	add := func(name string, v uint16) {
		if v != 0 {
			s = append(s, fmt.Sprintf("%s=%d", name, v))
		}
	}
	add("idle_timeout", l.IdleTimeout)
	add("hard_timeout", l.HardTimeout)
	add("fin_idle_timeout", l.FinIdleTimeout)
	add("fin_hard_timeout", l.FinHardTimeout)
	if l.Priority != DefaultPriority {
		s = append(s, fmt.Sprintf("priority=%d", l.Priority))
	}
	if l.SendFlowRem {
		s = append(s, "send_flow_rem")
	}
	if l.DeleteLearned {
		s = append(s, "delete_learned")
	}
	if l.Cookie != 0 {
		s = append(s, "cookie="+hex0(l.Cookie))
	}
	for _, sp := range l.Specs {
		s = append(s, aw.learnSpec(&sp))
	}
	return "learn(" + strings.Join(s, ",") + ")"
}

func (aw *actionWriter) learnSpec(sp *LearnSpec) string {
	imm := func(bitsN int) string { return hex128(sp.Imm.And(OnesValue(bitsN))) }
	switch sp.Kind {
	case LearnLoad:
		if sp.SrcIsImm {
			return "load:" + imm(sp.Dst.Bits) + "->" + formatSubfield(sp.Dst)
		}
		return "load:" + formatSubfield(sp.Src) + "->" + formatSubfield(sp.Dst)
	case LearnOutput:
		return "output:" + formatSubfield(sp.Src)
	}
	if sp.SrcIsImm {
		f := &fields[sp.Dst.Field]
		if sp.Dst.Ofs == 0 && sp.Dst.Bits == f.Bits {
			return f.Name + "=" + learnImm(f, sp.Imm, aw.o)
		}
		return formatSubfield(sp.Dst) + "=" + imm(sp.Dst.Bits)
	}
	if sp.Src == sp.Dst {
		return formatSubfield(sp.Dst)
	}
	return formatSubfield(sp.Dst) + "=" + formatSubfield(sp.Src)
}

// learnImm prints a learn immediate the way Open vSwitch's mf_format does:
// hex fields in minimal hex (eth_type=0x800), others in their format.
func learnImm(f *Field, v Value, o *FormatOptions) string {
	if f.Format == FormatHex {
		return hex128(v)
	}
	return formatValue(f, v, o)
}
