package flowtable

import (
	"testing"
	"time"
)

// fv is one field constraint of a test flow or key: mask zero = exact.
type fv struct {
	f    FieldID
	v    uint64
	mask uint64
}

func ex(f FieldID, v uint64) fv { return fv{f: f, v: v} }

func mkMatch(cs ...fv) Match {
	var m Match
	for _, c := range cs {
		fd := FieldByID(c.f)
		mask := fd.FullMask()
		if c.mask != 0 {
			mask = Value{Lo: c.mask}
		}
		m.Set(fd, Value{Lo: c.v}, mask)
	}
	return m
}

func mkKey(cs ...fv) *Key {
	var k Key
	for _, c := range cs {
		k.Set(FieldByID(c.f), Value{Lo: c.v})
	}
	return &k
}

func mkFlow(table uint8, pri uint16, acts []Action, cs ...fv) *Flow {
	return &Flow{Table: table, Priority: pri, Match: mkMatch(cs...), Actions: acts}
}

func out(p Port) []Action { return []Action{Output{Port: p}} }

func conj(id uint32, k, n uint8) Conjunction { return Conjunction{ID: id, Clause: k, NClauses: n} }

var t0 = time.Unix(1_700_000_000, 0)

func add(f *Flow) *FlowMod { return &FlowMod{Command: CmdAdd, Flow: f, OutPort: PortNone} }

func mustApply(t *testing.T, ts *Tables, mods ...*FlowMod) {
	t.Helper()
	if err := ts.Apply(mods, t0); err != nil {
		t.Fatal(err)
	}
}

// lookupPort looks k up and returns the port of the flow's first Output
// action, 0 for no flow, -1 for a flow without output.
func lookupPort(ts *Tables, table uint8, k *Key) int {
	var wc Key
	f := ts.Snapshot().Lookup(table, k, &wc)
	if f == nil {
		return 0
	}
	for _, a := range f.Actions {
		if o, ok := a.(Output); ok {
			return int(o.Port)
		}
	}
	return -1
}

func flowPorts(fl []*Flow) []int {
	var ps []int
	for _, f := range fl {
		p := -1
		for _, a := range f.Actions {
			if o, ok := a.(Output); ok {
				p = int(o.Port)
				break
			}
		}
		ps = append(ps, p)
	}
	return ps
}
