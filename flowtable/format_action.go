package flowtable

import (
	"fmt"
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
func (aw *actionWriter) setField(f FieldID, v string) { aw.addf("set_field:%s->%s", v, fields[f].Name) }

func (aw *actionWriter) list(acts []Action) {
	for _, a := range acts {
		aw.action(a)
	}
}

func (aw *actionWriter) action(a Action) {
	if a == nil {
		aw.addf("<unknown action %T>", a)
		return
	}
	a.format(aw)
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
