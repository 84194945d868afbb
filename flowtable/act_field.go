package flowtable

import (
	"strconv"
	"strings"
)

// The actions that name the field they write: set_field, load, move and
// set_tunnel.

// SetField writes Value under Mask into Field: set_field:V/M->F or
// load:V->F[a..b]. Load records the input spelling, which Open vSwitch
// keeps when it prints the flow back.
type SetField struct {
	Field FieldID
	Value Value
	Mask  Value
	Load  bool
}

// Move copies Src into Dst (equal widths).
type Move struct{ Src, Dst Subfield }

// SetTunnel sets tun_id (set_tunnel, or set_tunnel64 when Wide).
type SetTunnel struct {
	ID   uint64
	Wide bool
}

func init() {
	registerAction(parseSetField, "set_field")
	registerAction(parseLoad, "load")
	registerAction(parseMove, "move")
	registerAction(parseSetTunnel, "set_tunnel", "set_tunnel64")
}

// subfield parses NAME, NAME[], NAME[n] or NAME[a..b].
func (p *parser) subfield(s string, col int) (Subfield, error) {
	name, rng, hasRng := strings.Cut(s, "[")
	f, ok := lookupField(name)
	if !ok {
		return Subfield{}, p.errAt(col, name, "unknown field %q", name)
	}
	sf := Subfield{Field: f.ID, Ofs: 0, Bits: f.Bits}
	if !hasRng {
		return sf, nil
	}
	if !strings.HasSuffix(rng, "]") {
		return sf, p.errAt(col+len(name), "["+rng, "bad bit range in %q: missing ]", s)
	}
	rng = strings.TrimSuffix(rng, "]")
	if rng == "" {
		return sf, nil
	}
	a, b, two := strings.Cut(rng, "..")
	lo, err := strconv.Atoi(a)
	hi := lo
	if err == nil && two {
		hi, err = strconv.Atoi(b)
	}
	if err != nil || lo < 0 || hi < lo || hi >= f.Bits {
		return sf, p.errAt(col+len(name), "["+rng+"]", "bad bit range [%s] for the %d-bit field %s", rng, f.Bits, name)
	}
	sf.Ofs, sf.Bits = lo, hi-lo+1
	return sf, nil
}

// checkDst checks that f may be written where st says the packet is.
func (p *parser) checkDst(f *Field, st *actState, col int, tok string) error {
	if !f.Writable {
		return p.errAt(col, tok, "field %s cannot be written", f.Name)
	}
	return p.checkPrereq("writing", f, &st.m, col, tok)
}

// checkSrc checks that f may be read under match m.
func (p *parser) checkSrc(f *Field, m *Match, col int, tok string) error {
	return p.checkPrereq("reading", f, m, col, tok)
}

func (p *parser) checkPrereq(verb string, f *Field, m *Match, col int, tok string) error {
	if !m.Satisfies(f.Prereq) {
		return p.errAt(col, tok, "%s %s requires %s in the match (missing prerequisite)", verb, f.Name, prereqString(f.Prereq))
	}
	return nil
}

// arrow splits the SRC->DST argument of set_field, load and move; usage
// is the error when there is no arrow. dcol is where dst starts.
func (p *parser) arrow(a actionArg, usage string) (src, dst string, dcol int, err error) {
	src, dst, ok := strings.Cut(a.arg, "->")
	if !ok {
		return "", "", 0, p.errAt(a.col, a.arg, "%s", usage)
	}
	return src, dst, a.col + len(src) + 2, nil
}

// parseSetField parses set_field:VALUE[/MASK]->FIELD.
func parseSetField(p *parser, a actionArg, st *actState) (Action, error) {
	val, dst, dcol, err := p.arrow(a, "set_field needs VALUE->FIELD")
	if err != nil {
		return nil, err
	}
	f, ok := lookupField(dst)
	if !ok {
		return nil, p.errAt(dcol, dst, "unknown field %q", dst)
	}
	if err := p.checkDst(f, st, dcol, dst); err != nil {
		return nil, err
	}
	if f.ID == FieldVLANVID && !st.m.Satisfies(PrereqVLAN) {
		return nil, p.errAt(dcol, dst, "set_field vlan_vid requires a VLAN tag (dl_vlan in the match or push_vlan first; mod_vlan_vid pushes one)")
	}
	v, mask, err := p.value(f, val, a.col, true)
	if err != nil {
		return nil, err
	}
	return SetField{Field: f.ID, Value: v, Mask: mask}, nil
}

// parseLoad parses load:VALUE->FIELD[a..b]. load:SRC[a..b]->DST[c..d], a
// move in Open vSwitch, is not accepted.
func parseLoad(p *parser, a actionArg, st *actState) (Action, error) {
	col := a.col
	src, dst, dcol, err := p.arrow(a, "load needs VALUE->FIELD[]")
	if err != nil {
		return nil, err
	}
	d, err := p.subfield(dst, dcol)
	if err != nil {
		return nil, err
	}
	df := FieldByID(d.Field)
	if err := p.checkDst(df, st, dcol, dst); err != nil {
		return nil, err
	}
	n, err := parseNum(src, d.Bits)
	if err != nil {
		return nil, p.errAt(col, src, "bad load value: %v", err)
	}
	return loadInto(d, n), nil
}

// loadInto is the set_field that writes v into subfield d and leaves the
// rest of the field alone: what load (and a learned load) does.
func loadInto(d Subfield, v Value) SetField {
	f := &fields[d.Field]
	var vk, mk Key
	vk.SetBits(f, d.Ofs, d.Bits, v)
	mk.SetBits(f, d.Ofs, d.Bits, OnesValue(d.Bits))
	return SetField{Field: d.Field, Value: vk.Get(f), Mask: mk.Get(f), Load: true}
}

// parseMove parses move:SRC[a..b]->DST[c..d]; both need their
// prerequisites and the same width.
func parseMove(p *parser, a actionArg, st *actState) (Action, error) {
	col := a.col
	src, dst, dcol, err := p.arrow(a, "move needs SRC[]->DST[]")
	if err != nil {
		return nil, err
	}
	s, err := p.subfield(src, col)
	if err != nil {
		return nil, err
	}
	d, err := p.subfield(dst, dcol)
	if err != nil {
		return nil, err
	}
	if s.Bits != d.Bits {
		return nil, p.errAt(col, a.arg, "move: source is %d bits wide but destination is %d bits wide", s.Bits, d.Bits)
	}
	if err := p.checkSrc(FieldByID(s.Field), &st.m, col, src); err != nil {
		return nil, err
	}
	if err := p.checkDst(FieldByID(d.Field), st, dcol, dst); err != nil {
		return nil, err
	}
	return Move{Src: s, Dst: d}, nil
}

func parseSetTunnel(p *parser, a actionArg, _ *actState) (Action, error) {
	n, err := strconv.ParseUint(a.arg, 0, 64)
	if err != nil {
		return nil, p.errAt(a.col, a.arg, "bad tunnel id %q", a.arg)
	}
	return SetTunnel{ID: n, Wide: a.name == "set_tunnel64"}, nil
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

func (a SetField) format(aw *actionWriter) {
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
	for dst, val := range a.RegLoads {
		aw.addf("load:%s->%s", hex0(val), formatSubfield(dst))
	}
}

// RegLoads yields the write as the NXAST_REG_LOAD actions Open vSwitch
// encodes and prints it as: one per contiguous run of mask bits, cut into
// pieces of at most 64 bits, each with its value.
func (a SetField) RegLoads(yield func(dst Subfield, val uint64) bool) {
	f := &fields[a.Field]
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
		if !yield(Subfield{Field: a.Field, Ofs: ofs, Bits: n}, vk.GetBits(f, ofs, n).Lo) {
			return
		}
		ofs += n
	}
}

func (a Move) format(aw *actionWriter) {
	aw.add("move:" + formatSubfield(a.Src) + "->" + formatSubfield(a.Dst))
}

func (a SetTunnel) format(aw *actionWriter) {
	switch {
	case !aw.legacy():
		aw.setField(FieldTunID, hex0(a.ID))
	case a.Wide || a.ID > 0xffffffff:
		aw.add("set_tunnel64:" + hex0(a.ID))
	default:
		aw.add("set_tunnel:" + hex0(a.ID))
	}
}

// Access: a masked write keeps the other bits of the field, and vlan_vid
// is written only when a tag is present.
func (a SetField) Access(reads, writes *FieldSet) {
	if a.Mask != fields[a.Field].FullMask() {
		reads.Add(a.Field)
	}
	if a.Field == FieldVLANVID {
		reads.Add(FieldVLANTCI)
	}
	writes.Add(a.Field)
}

// Access: Src is read, Dst written (and read: its other bits stay).
func (a Move) Access(reads, writes *FieldSet) {
	reads.Add(a.Src.Field)
	if a.Dst.Bits != fields[a.Dst.Field].Bits {
		reads.Add(a.Dst.Field)
	}
	writes.Add(a.Dst.Field)
}

// Access: tun_id only.
func (SetTunnel) Access(_, writes *FieldSet) { writes.Add(FieldTunID) }

// Translate: OpenFlow set_field on vlan_vid needs a tag; without one it
// does nothing.
func (a SetField) Translate(k *Key, _ Translator) bool {
	if a.Field == FieldVLANVID && k.Get(fVLANTCI).Lo&tciPresent == 0 {
		return true
	}
	k.SetMasked(&fields[a.Field], a.Value, a.Mask)
	return true
}

func (a Move) Translate(k *Key, _ Translator) bool {
	src, dst := &fields[a.Src.Field], &fields[a.Dst.Field]
	k.SetBits(dst, a.Dst.Ofs, a.Dst.Bits, k.GetBits(src, a.Src.Ofs, a.Src.Bits))
	return true
}

func (a SetTunnel) Translate(k *Key, _ Translator) bool {
	k.Set(&fields[FieldTunID], Value{Lo: a.ID})
	return true
}
