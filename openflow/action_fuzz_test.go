package openflow

import (
	"bytes"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

// FuzzParseActions feeds arbitrary bytes to ParseActions and
// ParseInstructions: they must not panic, and whatever parses must encode
// and parse back to the same actions, and encode again to the same bytes.
func FuzzParseActions(f *testing.F) {
	for _, g := range readGoldens(f) {
		f.Add(uint8(g.v), g.wire)
	}
	f.Add(uint8(OF10), []byte{0, 0, 0, 8, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, ver uint8, b []byte) {
		v := Version(ver%6 + 1)
		for _, instr := range []bool{false, true} {
			if instr && v == OF10 {
				continue
			}
			parse, enc := ParseActions, AppendActions
			if instr {
				parse, enc = ParseInstructions, AppendInstructions
			}
			acts, err := parse(v, b)
			if err != nil {
				continue
			}
			w1, err := enc(nil, v, acts)
			if err != nil {
				// Some decodable actions have no encoding in v (for example
				// an OpenFlow 1.0 reg_load of a field OVS writes otherwise).
				continue
			}
			again, err := parse(v, w1)
			if err != nil {
				t.Fatalf("%v: re-parse of %x (from %x): %v", v, w1, b, err)
			}
			if !sameActions(v, acts, again) {
				t.Fatalf("%v: round trip changed\n %#v\nto\n %#v", v, acts, again)
			}
			w2, err := enc(nil, v, again)
			if err != nil || !bytes.Equal(w1, w2) {
				t.Fatalf("%v: re-encode %x != %x (%v)", v, w2, w1, err)
			}
		}
	})
}

// sameActions compares decoded actions by how Open vSwitch would print
// them: encodings differ (set_tunnel is a set_field of tun_id from
// OpenFlow 1.2; OpenFlow 1.5 has only set_field) but the meaning must not.
func sameActions(v Version, a, b []flowtable.Action) bool {
	o := flowtable.FormatOptions{OF13: v != OF10}
	if v >= OF15 {
		a, b = unload(a), unload(b)
	}
	return flowtable.FormatActions(a, o) == flowtable.FormatActions(b, o)
}

// unload marks every load as a set_field, as OpenFlow 1.5 re-encodes it.
func unload(acts []flowtable.Action) []flowtable.Action {
	out := make([]flowtable.Action, len(acts))
	for i, a := range acts {
		switch x := a.(type) {
		case flowtable.SetField:
			x.Load = false
			a = x
		case flowtable.CT:
			x.Exec = unload(x.Exec)
			a = x
		}
		out[i] = a
	}
	return out
}
