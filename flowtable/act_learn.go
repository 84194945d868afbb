package flowtable

import (
	"fmt"
	"strings"
)

// Learn adds or refreshes a flow built from the packet.
type Learn struct {
	Table          uint8
	Priority       uint16
	IdleTimeout    uint16
	HardTimeout    uint16
	FinIdleTimeout uint16
	FinHardTimeout uint16
	Cookie         uint64
	SendFlowRem    bool
	DeleteLearned  bool
	// Limit: no new flow is learned while the table holds Limit flows
	// with the learned cookie (0: no limit), as OVS's learn(limit=).
	Limit uint32
	// Result, when Bits is 1, is the bit learn sets to 1 when it added or
	// refreshed its flow and to 0 when a limit refused it (result_dst=).
	Result Subfield
	Specs  []LearnSpec
}

// LearnSpecKind is what a learn spec does in the learned flow.
type LearnSpecKind uint8

const (
	LearnMatch  LearnSpecKind = iota // match Dst against the source value
	LearnLoad                        // load the source value into Dst
	LearnOutput                      // output to the port in the source value
)

// LearnSpec is one spec of learn(...). The source is Src (a subfield of the
// packet being processed) unless SrcIsImm, in which case it is Imm.
type LearnSpec struct {
	Kind     LearnSpecKind
	Dst      Subfield // unused for LearnOutput
	Src      Subfield
	SrcIsImm bool
	Imm      Value
	// Spelling records the input form so the printer reproduces it:
	// FIELD[], DST[]=SRC[], FIELD=VALUE, load:..., output:...
	Spelling LearnSpelling
}

// LearnSpelling is the printed form of a learn spec.
type LearnSpelling uint8

const (
	LearnSpellSame   LearnSpelling = iota // NXM_OF_VLAN_TCI[0..11]: match the field against itself
	LearnSpellPair                        // DST[]=SRC[]
	LearnSpellImm                         // field=value (match against an immediate)
	LearnSpellLoad                        // load:SRC->DST or load:imm->DST
	LearnSpellOutput                      // output:SRC
)

func init() { registerAction(parseLearn, "learn") }

func parseLearn(p *parser, a actionArg, st *actState) (Action, error) {
	if !a.paren {
		return nil, p.errAt(a.pc.col, a.pc.s, "learn needs (...) arguments")
	}
	return p.learn(a.arg, a.col, st)
}

// learn parses the inside of learn(...): the learned flow's table,
// priority, timeouts, cookie and flags, and its specs.
func (p *parser) learn(arg string, col int, st *actState) (Action, error) {
	l := Learn{Table: 1, Priority: DefaultPriority}
	parts, perr := splitTop(arg, col)
	if perr != nil {
		return nil, perr
	}
	var learned Match // the learned flow's match as the specs build it
	u16 := map[string]*uint16{
		"priority": &l.Priority, "idle_timeout": &l.IdleTimeout, "hard_timeout": &l.HardTimeout,
		"fin_idle_timeout": &l.FinIdleTimeout, "fin_hard_timeout": &l.FinHardTimeout,
	}
	for _, pt := range parts {
		key, val, hasVal := strings.Cut(pt.s, "=")
		vcol := pt.col + len(key) + 1
		num := func(max uint64) (uint64, error) {
			n, err := parseUint(val, max)
			if err != nil {
				return 0, p.errAt(vcol, val, "bad learn %s: %v", key, err)
			}
			return n, nil
		}
		var err error
		var n uint64
		switch field, isU16 := u16[key]; {
		case key == "table" && hasVal:
			n, err = num(254)
			l.Table = uint8(n)
		case isU16 && hasVal:
			n, err = num(65535)
			*field = uint16(n)
		case key == "cookie" && hasVal:
			var v Value
			v, err = parseNum(val, 64)
			if err != nil {
				err = p.errAt(vcol, val, "bad learn cookie: %v", err)
			}
			l.Cookie = v.Lo
		case key == "limit" && hasVal:
			n, err = num(1<<32 - 1)
			l.Limit = uint32(n)
		case key == "result_dst" && hasVal:
			l.Result, err = p.learnResult(val, vcol, st)
		case pt.s == "send_flow_rem":
			l.SendFlowRem = true
		case pt.s == "delete_learned":
			l.DeleteLearned = true
		default:
			var s LearnSpec
			s, err = p.learnSpec(pt, st, &learned)
			l.Specs = append(l.Specs, s)
		}
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// learnResult parses result_dst=FIELD[BIT]: one writable bit.
func (p *parser) learnResult(val string, col int, st *actState) (Subfield, error) {
	sf, err := p.subfield(val, col)
	if err != nil {
		return Subfield{}, err
	}
	if sf.Bits != 1 {
		return Subfield{}, p.errAt(col, val, "result_dst in 'learn' action must be a single bit")
	}
	if err := p.checkDst(FieldByID(sf.Field), st, col, val); err != nil {
		return Subfield{}, err
	}
	return sf, nil
}

// learnSpec parses one spec: FIELD[a..b], DST[..]=SRC[..], DST=VALUE,
// load:SRC->DST, load:VALUE->DST or output:SRC.
func (p *parser) learnSpec(pt piece, st *actState, learned *Match) (LearnSpec, error) {
	switch {
	case strings.HasPrefix(pt.s, "load:"):
		return p.learnLoad(pt, st, learned)
	case strings.HasPrefix(pt.s, "output:"):
		src, err := p.subfield(pt.s[7:], pt.col+7)
		if err != nil {
			return LearnSpec{}, err
		}
		if err := p.checkSrc(FieldByID(src.Field), &st.m, pt.col+7, pt.s[7:]); err != nil {
			return LearnSpec{}, err
		}
		return LearnSpec{Kind: LearnOutput, Src: src, Spelling: LearnSpellOutput}, nil
	}
	return p.learnMatch(pt, st, learned)
}

// learnLoad parses load:SRC->DST, whose destination the learned flow's
// match must allow writing.
func (p *parser) learnLoad(pt piece, st *actState, learned *Match) (LearnSpec, error) {
	var s LearnSpec
	arg := pt.s[5:]
	col := pt.col + 5
	src, dst, ok := strings.Cut(arg, "->")
	if !ok {
		return s, p.errAt(col, arg, "learn load needs SRC->DST")
	}
	d, err := p.subfield(dst, col+len(src)+2)
	if err != nil {
		return s, err
	}
	if err := p.checkDst(FieldByID(d.Field), &actState{m: *learned}, col+len(src)+2, dst); err != nil {
		return s, err
	}
	s = LearnSpec{Kind: LearnLoad, Dst: d, Spelling: LearnSpellLoad}
	if err := p.learnSrc(&s, src, col, d.Bits, st); err != nil {
		return s, err
	}
	return s, nil
}

// learnMatch parses a match spec, FIELD[...], DST[...]=SRC[...] or
// FIELD=VALUE, and records its constraint in learned.
func (p *parser) learnMatch(pt piece, st *actState, learned *Match) (LearnSpec, error) {
	var s LearnSpec
	dst, src, pair := strings.Cut(pt.s, "=")
	var d Subfield
	var err error
	if strings.Contains(dst, "[") || !pair {
		d, err = p.subfield(dst, pt.col)
	} else {
		f, ok := lookupField(dst)
		if !ok {
			return s, p.errAt(pt.col, dst, "unknown field %q", dst)
		}
		d = Subfield{Field: f.ID, Bits: f.Bits}
	}
	if err != nil {
		return s, err
	}
	df := FieldByID(d.Field)
	if !learned.Satisfies(df.Prereq) {
		return s, p.errAt(pt.col, dst, "learned match on %s requires %s earlier in the learned flow (missing prerequisite)", df.Name, prereqString(df.Prereq))
	}
	s = LearnSpec{Kind: LearnMatch, Dst: d}
	if !pair {
		s.Src, s.Spelling = d, LearnSpellSame
		if err := p.checkSrc(df, &st.m, pt.col, dst); err != nil {
			return s, err
		}
	} else {
		s.Spelling = LearnSpellPair
		scol := pt.col + len(dst) + 1
		if !strings.Contains(dst, "[") {
			// DST=VALUE: a value in the field's own format.
			if _, isField := lookupField(strings.SplitN(src, "[", 2)[0]); !isField || !strings.Contains(src, "[") {
				v, _, err := p.value(df, src, scol, false)
				if err != nil {
					return s, err
				}
				s.SrcIsImm, s.Imm, s.Spelling = true, v, LearnSpellImm
			}
		}
		if !s.SrcIsImm {
			if err := p.learnSrc(&s, src, scol, d.Bits, st); err != nil {
				return s, err
			}
		}
	}
	// Record the constraint so later specs see their prerequisites met.
	if s.SrcIsImm {
		learned.SetBits(df, d.Ofs, d.Bits, s.Imm)
	} else {
		learned.SetBits(df, d.Ofs, d.Bits, OnesValue(d.Bits))
	}
	return s, nil
}

// learnSrc fills the source of s: an immediate number or a subfield of the
// packet (whose prerequisites the current flow must meet).
func (p *parser) learnSrc(s *LearnSpec, src string, col, bits int, st *actState) error {
	if src != "" && (src[0] >= '0' && src[0] <= '9') {
		v, err := parseNum(src, bits)
		if err != nil {
			return p.errAt(col, src, "bad learn value: %v", err)
		}
		s.SrcIsImm, s.Imm = true, v
		return nil
	}
	sf, err := p.subfield(src, col)
	if err != nil {
		return err
	}
	if sf.Bits != bits {
		return p.errAt(col, src, "learn: source is %d bits wide but destination is %d bits wide", sf.Bits, bits)
	}
	if err := p.checkSrc(FieldByID(sf.Field), &st.m, col, src); err != nil {
		return err
	}
	s.Src = sf
	return nil
}

func (l Learn) format(aw *actionWriter) {
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
	if l.Limit != 0 {
		s = append(s, fmt.Sprintf("limit=%d", l.Limit))
	}
	if l.Result.Bits != 0 {
		s = append(s, "result_dst="+formatSubfield(l.Result))
	}
	for _, sp := range l.Specs {
		s = append(s, aw.learnSpec(&sp))
	}
	aw.add("learn(" + strings.Join(s, ",") + ")")
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

// Access: the learned flow takes its values from the specs' source
// fields; the packet itself is not changed.
func (l Learn) Access(reads, writes *FieldSet) {
	for _, sp := range l.Specs {
		if !sp.SrcIsImm {
			reads.Add(sp.Src.Field)
		}
	}
	if l.Result.Bits != 0 {
		writes.Add(l.Result.Field)
	}
}

// Flow builds the flow l learns from the packet k: its match from the
// match specs, its actions from the load and output specs.
func (l *Learn) Flow(k *Key) *Flow {
	f := &Flow{
		Table: l.Table, Priority: l.Priority, Cookie: l.Cookie,
		IdleTimeout: l.IdleTimeout, HardTimeout: l.HardTimeout,
	}
	if l.SendFlowRem {
		f.Flags |= FlagSendFlowRem
	}
	if l.FinIdleTimeout != 0 || l.FinHardTimeout != 0 {
		// As OVS: the learned flow starts with the fin_timeout.
		f.Actions = append(f.Actions, FinTimeout{Idle: l.FinIdleTimeout, Hard: l.FinHardTimeout})
	}
	for _, s := range l.Specs {
		v := s.Imm
		if !s.SrcIsImm {
			v = k.GetBits(&fields[s.Src.Field], s.Src.Ofs, s.Src.Bits)
		}
		switch s.Kind {
		case LearnMatch:
			f.Match.SetBits(&fields[s.Dst.Field], s.Dst.Ofs, s.Dst.Bits, v)
		case LearnLoad:
			f.Actions = append(f.Actions, loadInto(s.Dst, v))
		case LearnOutput:
			// As OVS: only a switch port or IN_PORT, FLOOD, LOCAL, ALL;
			// anything else (NORMAL, wider values) learns no output.
			if p := Port(v.Lo); v.Hi == 0 && v.Lo <= 0xffff && (p < PortMax ||
				p == PortInPort || p == PortFlood || p == PortLocal || p == PortAll) {
				f.Actions = append(f.Actions, Output{Port: p})
			}
		}
	}
	return f
}

// Translate hands the action to the translator, which adds the Flow.
func (l Learn) Translate(_ *Key, t Translator) bool { t.Learn(l); return true }
