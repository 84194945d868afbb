package flowtable

import "strconv"

// SetVLANVID sets the VLAN ID. mod_vlan_vid pushes an 802.1Q header first
// when the packet has none (Push); the OpenFlow 1.1 action does not.
type SetVLANVID struct {
	VID  uint16
	Push bool
}

// SetVLANPCP sets the VLAN priority; like SetVLANVID it may push a header.
type SetVLANPCP struct {
	PCP  uint8
	Push bool
}

// StripVLAN removes the outermost VLAN header (strip_vlan, pop_vlan).
type StripVLAN struct{}

// PushVLAN adds a VLAN header with the given TPID (0x8100 or 0x88a8) and
// the TCI of the inner tag if there was one, VID 0 otherwise.
type PushVLAN struct{ Ethertype uint16 }

// tciPresent is the vlan_tci bit that says a tag is there (CFI in 802.1Q).
const tciPresent = 0x1000

func init() {
	registerAction(parseSetVLANVID, "mod_vlan_vid", "set_vlan_vid")
	registerAction(parseSetVLANPCP, "mod_vlan_pcp", "set_vlan_pcp")
	registerAction(parseStripVLAN, "strip_vlan", "pop_vlan")
	registerAction(parsePushVLAN, "push_vlan")
}

func parseSetVLANVID(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := p.tciPart(a, st, "id", 4095)
	return SetVLANVID{VID: uint16(n), Push: true}, err
}

func parseSetVLANPCP(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := p.tciPart(a, st, "priority", 7)
	return SetVLANPCP{PCP: uint8(n), Push: true}, err
}

// tciPart parses the VLAN id or priority of mod_vlan_vid/mod_vlan_pcp,
// which push a tag when there is none.
func (p *parser) tciPart(a actionArg, st *actState, what string, max uint64) (uint64, error) {
	n, err := parseUint(a.arg, max)
	if err != nil {
		return 0, p.errAt(a.col, a.arg, "bad VLAN %s: %v (want 0..%d)", what, err, max)
	}
	st.vlanPushed()
	return n, nil
}

func parseStripVLAN(p *parser, a actionArg, st *actState) (Action, error) {
	if a.arg != "" {
		return nil, p.errAt(a.col, a.arg, "%s takes no argument", a.name)
	}
	st.m.Set(fVLANTCI, Value{}, Value{})
	return StripVLAN{}, nil
}

func parsePushVLAN(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := parseUint(a.arg, 0xffff)
	if err != nil || (n != 0x8100 && n != 0x88a8) {
		return nil, p.errAt(a.col, a.arg, "push_vlan needs an ethertype of 0x8100 or 0x88a8")
	}
	st.vlanPushed()
	return PushVLAN{Ethertype: uint16(n)}, nil
}

// pushVLAN prints the push_vlan an OpenFlow 1.3 encoding of mod_vlan_vid
// or mod_vlan_pcp needs, once per list.
func (aw *actionWriter) pushVLAN() {
	if !aw.pushed {
		aw.add("push_vlan:0x8100")
		aw.pushed = true
	}
}

func (a SetVLANVID) format(aw *actionWriter) {
	aw.tciPart(a.Push, FieldVLANVID, int(a.VID)|tciPresent, "mod_vlan_vid", int(a.VID))
}

func (a SetVLANPCP) format(aw *actionWriter) {
	aw.tciPart(a.Push, FieldVLANPCP, int(a.PCP), "mod_vlan_pcp", int(a.PCP))
}

// tciPart prints mod_vlan_vid or mod_vlan_pcp (legacy and v): as OpenFlow
// 1.3 has it, a push_vlan and a set_field of f to v13, when the action
// pushes.
func (aw *actionWriter) tciPart(push bool, f FieldID, v13 int, legacy string, v int) {
	if aw.o.OF13 && !aw.o.Exact && push {
		aw.pushVLAN()
		aw.setField(f, strconv.Itoa(v13))
	} else {
		aw.addf("%s:%d", legacy, v)
	}
}

func (StripVLAN) format(aw *actionWriter) {
	if aw.of10() {
		aw.add("strip_vlan")
	} else {
		aw.add("pop_vlan")
	}
}

func (a PushVLAN) format(aw *actionWriter) {
	if !aw.of10() {
		// OpenFlow 1.0 has no push: mod_vlan_vid pushes when needed.
		aw.addf("push_vlan:0x%04x", a.Ethertype)
		aw.pushed = true
	}
}

// Access: the VID and PCP setters keep the rest of the TCI and depend on
// whether a tag is present.
func (SetVLANVID) Access(reads, writes *FieldSet) {
	reads.Add(FieldVLANTCI)
	writes.Add(FieldVLANTCI)
}

// Access: as SetVLANVID.
func (SetVLANPCP) Access(reads, writes *FieldSet) {
	reads.Add(FieldVLANTCI)
	writes.Add(FieldVLANTCI)
}

// Access: the whole TCI goes.
func (StripVLAN) Access(_, writes *FieldSet) { writes.Add(FieldVLANTCI) }

// Access: the new tag copies the old TCI.
func (PushVLAN) Access(reads, writes *FieldSet) {
	reads.Add(FieldVLANTCI)
	writes.Add(FieldVLANTCI)
}

func (a SetVLANVID) Translate(k *Key, _ Translator) bool {
	rewriteTCI(k, 0x0fff, a.VID&0x0fff, a.Push)
	return true
}

func (a SetVLANPCP) Translate(k *Key, _ Translator) bool {
	rewriteTCI(k, 0xe000, uint16(a.PCP&7)<<13, a.Push)
	return true
}

// rewriteTCI replaces the TCI bits under mask with v. Without a tag it
// pushes one first when push is set, and otherwise does nothing.
func rewriteTCI(k *Key, mask, v uint16, push bool) {
	tci := uint16(k.Get(fVLANTCI).Lo)
	if tci&tciPresent == 0 {
		if !push {
			return
		}
		tci = tciPresent
	}
	k.Set(fVLANTCI, Value{Lo: uint64(tci&^mask | v)})
}

func (StripVLAN) Translate(k *Key, _ Translator) bool {
	k.Set(fVLANTCI, Value{})
	return true
}

// Translate: with one tag in the key, a push on an untagged packet adds
// VID 0; on a tagged one the outer tag is replaced by a copy.
func (a PushVLAN) Translate(k *Key, t Translator) bool {
	t.PushVLAN(a.Ethertype)
	k.Set(fVLANTCI, Value{Lo: uint64(uint16(k.Get(fVLANTCI).Lo) | tciPresent)})
	return true
}
