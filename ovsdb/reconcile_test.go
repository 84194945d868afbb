package ovsdb

import (
	"slices"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
)

func ptr[T any](v T) *T { return &v }

// db builds rows: bridges of ports of one interface each, named alike.
type dbPort struct {
	name, typ string
	opts      map[string]string
	req, tag  *int
}

func dbRows(bridges map[string][]dbPort) rows {
	r := rows{root: &OpenVSwitch{UUID: "root"}, ports: map[string]*Port{}, ifaces: map[string]*Interface{}}
	for b, ports := range bridges {
		br := Bridge{UUID: "b-" + b, Name: b}
		for _, p := range append([]dbPort{{name: b, typ: "internal"}}, ports...) {
			r.ports["p-"+p.name] = &Port{UUID: "p-" + p.name, Name: p.name, Interfaces: []string{"i-" + p.name}, Tag: p.tag}
			r.ifaces["i-"+p.name] = &Interface{UUID: "i-" + p.name, Name: p.name, Type: p.typ, Options: p.opts, OFPortRequest: p.req}
			br.Ports = append(br.Ports, "p-"+p.name)
		}
		r.bridges = append(r.bridges, br)
	}
	return r
}

func TestReconcile(t *testing.T) {
	type step struct {
		db    map[string][]dbPort
		calls []string          // the calls the step makes, in order
		ofp   map[string]int    // Interface name → ofport written
		errs  map[string]string // Interface name → part of its error
	}
	tests := []struct {
		name   string
		refuse []string
		steps  []step
	}{{
		name: "add-br then add-port, ofport_request honoured",
		steps: []step{
			{db: map[string][]dbPort{"br0": nil}, calls: []string{"add-br br0"}, ofp: map[string]int{"br0": LocalOFPort}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "p2", typ: "tap", req: ptr(7)}}},
				calls: []string{"add-port br0 p1", "add-port br0 p2"}, ofp: map[string]int{"p1": 1, "p2": 7}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "p2", typ: "tap", req: ptr(7)}}}},
		},
	}, {
		name: "ofport_request change re-creates, tag change sets in place",
		steps: []step{
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}}}, calls: []string{"add-br br0", "add-port br0 p1"}, ofp: map[string]int{"p1": 1}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal", req: ptr(9)}}}, calls: []string{"del-port p1", "add-port br0 p1"}, ofp: map[string]int{"p1": 9}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal", req: ptr(9), tag: ptr(5)}}}, calls: []string{"set-port p1"}, ofp: map[string]int{"p1": 9}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal", req: ptr(9)}}}, calls: []string{"set-port p1"}},
		},
	}, {
		name: "a bad row sets its error and disturbs nothing else",
		steps: []step{
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "bad", typ: "vxlan"}}},
				calls: []string{"add-br br0", "add-port br0 p1"}, ofp: map[string]int{"p1": 1, "bad": -1}, errs: map[string]string{"bad": `type "vxlan"`}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "bad", typ: "internal", req: ptr(70000)}}},
				ofp: map[string]int{"p1": 1, "bad": -1}, errs: map[string]string{"bad": "out of range"}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "bad", typ: "internal"}}},
				calls: []string{"add-port br0 bad"}, ofp: map[string]int{"p1": 1, "bad": 2}},
		},
	}, {
		name:   "a port the core refuses is reported, retried, not fatal",
		refuse: []string{"p2"},
		steps: []step{
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}, {name: "p2", typ: "system"}}},
				calls: []string{"add-br br0", "add-port br0 p1", "add-port br0 p2"}, ofp: map[string]int{"p1": 1, "p2": -1}, errs: map[string]string{"p2": "refused"}},
		},
	}, {
		name: "type change re-creates; del-port and del-br delete",
		steps: []step{
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "internal"}}, "br1": {{name: "q1", typ: "patch", opts: map[string]string{"peer": "x"}}}},
				calls: []string{"add-br br0", "add-port br0 p1", "add-br br1", "add-port br1 q1"}},
			{db: map[string][]dbPort{"br0": {{name: "p1", typ: "tap"}}, "br1": {{name: "q1", typ: "patch", opts: map[string]string{"peer": "x"}}}},
				calls: []string{"del-port p1", "add-port br0 p1"}},
			{db: map[string][]dbPort{"br0": nil, "br1": {{name: "q1", typ: "patch", opts: map[string]string{"peer": "x"}}}}, calls: []string{"del-port p1"}},
			{db: map[string][]dbPort{"br0": nil}, calls: []string{"del-br br1"}},
			{db: map[string][]dbPort{}, calls: []string{"del-br br0"}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			for _, n := range tc.refuse {
				f.refuse[n] = true
			}
			rec := NewReconciler(f)
			for i, st := range tc.steps {
				f.calls = nil
				r := dbRows(st.db)
				res := rec.Apply(desired(r))
				if !slices.Equal(f.calls, st.calls) {
					t.Errorf("step %d: calls %q, want %q", i, f.calls, st.calls)
				}
				for name, want := range st.ofp {
					if got := res["i-"+name].OFPort; got != want {
						t.Errorf("step %d: %s ofport %d, want %d", i, name, got, want)
					}
				}
				for u, rr := range res {
					name := strings.TrimPrefix(u, "i-")
					want, bad := st.errs[name]
					if bad != (rr.Err != "") || !strings.Contains(rr.Err, want) {
						t.Errorf("step %d: %s error %q, want one containing %q", i, name, rr.Err, want)
					}
				}
			}
		})
	}
}

func TestVLANChange(t *testing.T) {
	five, six := uint16(5), uint16(6)
	tests := []struct {
		name     string
		old, new config.Port
		changed  bool
	}{
		{"same", config.Port{Tag: &five}, config.Port{Tag: &five}, false},
		{"tag set", config.Port{}, config.Port{Tag: &five}, true},
		{"tag changed", config.Port{Tag: &five}, config.Port{Tag: &six}, true},
		{"tag cleared", config.Port{Tag: &five}, config.Port{}, true},
		{"trunks", config.Port{}, config.Port{Trunks: []uint16{1}}, true},
		{"mode", config.Port{}, config.Port{VLANMode: "trunk"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, changed := vlanChange(tc.old, tc.new)
			if changed != tc.changed {
				t.Fatalf("changed %v, want %v (%+v)", changed, tc.changed, c)
			}
			pc := tc.old
			if changed {
				switch {
				case c.ClearTag:
					pc.Tag = nil
				case c.Tag != nil:
					pc.Tag = c.Tag
				}
				if c.SetTrunks {
					pc.Trunks = c.Trunks
				}
				if c.VLANMode != "" {
					pc.VLANMode = c.VLANMode
				}
			}
			if _, again := vlanChange(pc, tc.new); again {
				t.Errorf("after the change there is still one: %+v → %+v", pc, tc.new)
			}
		})
	}
}

// TestReconcileBridge: fail_mode and the record columns are applied when
// they change, and only then.
func TestReconcileBridge(t *testing.T) {
	f := newFake()
	rec := NewReconciler(f)
	steps := []struct {
		b     wantBridge
		calls []string
	}{
		{wantBridge{Name: "br0"}, []string{"add-br br0"}},
		{wantBridge{Name: "br0"}, nil},
		{wantBridge{Name: "br0", FailMode: "secure"}, []string{"set-br br0 secure"}},
		{wantBridge{Name: "br0", FailMode: "secure", ExternalIDs: map[string]string{"bridge-id": "x"}}, []string{"set-br br0 secure"}},
		{wantBridge{Name: "br0", FailMode: "secure", ExternalIDs: map[string]string{"bridge-id": "x"}}, nil},
		{wantBridge{Name: "br1", FailMode: "secure"}, []string{"del-br br0", "add-br br1"}},
	}
	for i, st := range steps {
		f.calls = nil
		rec.Apply([]wantBridge{st.b})
		if !slices.Equal(f.calls, st.calls) {
			t.Errorf("step %d: calls %q, want %q", i, f.calls, st.calls)
		}
	}
}

// TestReconcileAdopts: ports already in the core (restored state) are
// kept if their device is the one wanted, re-created if not.
func TestReconcileAdopts(t *testing.T) {
	f := newFake()
	f.bridges["br0"] = true
	three := uint16(3)
	f.ports["tap1"] = fakePort{"br0", config.Port{Name: "tap1", Type: config.KindTap, OFPort: 4, Tag: &three}}
	f.ports["tap2"] = fakePort{"br0", config.Port{Name: "tap2", Type: config.KindTap, OFPort: 5}}
	f.ports["eth1"] = fakePort{"br0", config.Port{Name: "eth1", Type: config.KindSystem, OFPort: 6}}
	r := dbRows(map[string][]dbPort{"br0": {
		{name: "tap1", typ: "tap", tag: ptr(3)},
		{name: "tap2", typ: "tap", tag: ptr(9)},
		{name: "eth1", typ: "internal"},
	}})
	res := NewReconciler(f).Apply(desired(r))
	want := []string{"del-port eth1", "set-br br0 ", "add-port br0 eth1", "set-port tap2"} // the bridge record too: not made here
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls %q, want %q", f.calls, want)
	}
	if got := res["i-tap1"].OFPort; got != 4 {
		t.Errorf("tap1 ofport %d, want 4 (kept)", got)
	}
}
