package flowtable

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestAddReplacesSameMatchAndPriority(t *testing.T) {
	ts := NewTables()
	a := mkFlow(0, 100, out(1), ex(FieldInPort, 1))
	mustApply(t, ts, add(a))
	a.Hit(60, t0.UnixNano())
	b := mkFlow(0, 100, out(2), ex(FieldInPort, 1))
	mustApply(t, ts, add(b), add(mkFlow(0, 101, out(3), ex(FieldInPort, 1))), add(mkFlow(1, 100, out(4), ex(FieldInPort, 1))))
	if ts.Len() != 3 {
		t.Fatalf("Len = %d, want 3", ts.Len())
	}
	fl := ts.Flows(func(f *Flow) bool { return f.Table == 0 })
	if got := flowPorts(fl); !slices.Equal(got, []int{3, 2}) {
		t.Fatalf("table 0 ports = %v, want [3 2]", got)
	}
	if p, _ := fl[1].Stats(); p != 0 {
		t.Errorf("add kept %d packets of the replaced flow", p)
	}
	if ts.Table(0).Len() != 2 || ts.Table(1).Len() != 1 || ts.Table(2).Len() != 0 {
		t.Errorf("table lens = %d %d %d", ts.Table(0).Len(), ts.Table(1).Len(), ts.Table(2).Len())
	}
	if fl[0].Table != 0 || !fl[0].Created.Equal(t0) {
		t.Errorf("flow fields: table %d created %v", fl[0].Table, fl[0].Created)
	}
}

func TestApplyErrorsAreAtomic(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts, add(mkFlow(0, 1, out(1))))
	before := ts.Snapshot()
	cases := []struct {
		name string
		mods []*FlowMod
		want error
	}{
		{"add to table 255", []*FlowMod{add(mkFlow(3, 5, out(2))), add(mkFlow(255, 1, out(2)))}, ErrBadTable},
		{"delete in table 255", []*FlowMod{{Command: CmdDelete, Flow: mkFlow(0, 1, nil), OutPort: PortNone}, {Command: CmdDelete, Flow: mkFlow(255, 1, nil), OutPort: PortNone}}, ErrBadTable},
		{"nil flow", []*FlowMod{add(mkFlow(0, 9, out(3))), {Command: CmdAdd}}, ErrNoFlow},
		{"nil mod", []*FlowMod{nil}, ErrNoFlow},
		{"overlap", []*FlowMod{add(&Flow{Priority: 1, Flags: FlagCheckOverlap, Match: mkMatch(ex(FieldInPort, 4))})}, ErrOverlap},
		{"bad command", []*FlowMod{{Command: Command(99), Flow: mkFlow(0, 1, nil)}}, nil},
	}
	for _, c := range cases {
		err := ts.Apply(c.mods, t0)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if ts.Snapshot() != before || ts.Len() != 1 {
			t.Errorf("%s: tables changed on error", c.name)
		}
	}
	// Check-overlap passes when the flows cannot both match.
	mustApply(t, ts, add(&Flow{Priority: 7, Match: mkMatch(ex(FieldInPort, 1))}),
		add(&Flow{Priority: 7, Flags: FlagCheckOverlap, Match: mkMatch(ex(FieldInPort, 2))}))
}

func TestModify(t *testing.T) {
	base := func() *Tables {
		ts := NewTables()
		mustApply(t, ts,
			add(&Flow{Table: 0, Priority: 10, Cookie: 0x11, HardTimeout: 30, Match: mkMatch(ex(FieldInPort, 1)), Actions: out(1)}),
			add(&Flow{Table: 0, Priority: 20, Cookie: 0x12, Match: mkMatch(ex(FieldInPort, 1), ex(FieldEthType, 0x800)), Actions: out(1)}),
			add(&Flow{Table: 0, Priority: 10, Cookie: 0x21, Match: mkMatch(ex(FieldInPort, 2)), Actions: out(1)}),
			add(&Flow{Table: 3, Priority: 10, Cookie: 0x11, Match: mkMatch(ex(FieldInPort, 1)), Actions: out(1)}),
		)
		for _, f := range ts.Flows(nil) {
			f.Hit(100, t0.UnixNano())
		}
		return ts
	}
	cases := []struct {
		name    string
		mod     FlowMod
		changed int // flows now outputting to 9
		total   int
	}{
		{"loose in_port=1 table 0", FlowMod{Command: CmdModify, Flow: mkFlow(0, 0, out(9), ex(FieldInPort, 1))}, 2, 4},
		{"loose all tables", FlowMod{Command: CmdModify, AllTables: true, Flow: mkFlow(0, 0, out(9), ex(FieldInPort, 1))}, 3, 4},
		{"loose empty match", FlowMod{Command: CmdModify, Flow: mkFlow(0, 0, out(9))}, 3, 4},
		{"strict", FlowMod{Command: CmdModifyStrict, Flow: mkFlow(0, 10, out(9), ex(FieldInPort, 1))}, 1, 4},
		{"strict wrong priority adds", FlowMod{Command: CmdModifyStrict, Flow: mkFlow(0, 11, out(9), ex(FieldInPort, 1))}, 1, 5},
		{"loose no match adds", FlowMod{Command: CmdModify, Flow: mkFlow(0, DefaultPriority, out(9), ex(FieldInPort, 7))}, 1, 5},
		{"cookie mask", FlowMod{Command: CmdModify, AllTables: true, CookieMask: 0xf0, Flow: &Flow{Cookie: 0x10, Actions: out(9)}}, 3, 4},
		{"cookie mask no match adds nothing", FlowMod{Command: CmdModify, CookieMask: 0xff, Flow: &Flow{Cookie: 0x99, Actions: out(9)}}, 0, 4},
		{"loose match narrower than flows", FlowMod{Command: CmdModify, Flow: mkFlow(0, 0, out(9), ex(FieldInPort, 1), ex(FieldEthType, 0x800), ex(FieldIPProto, 6))}, 1, 5},
	}
	for _, c := range cases {
		ts := base()
		if err := ts.Apply([]*FlowMod{&c.mod}, t0.Add(5*time.Second)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		changed := 0
		for _, f := range ts.Flows(nil) {
			if flowPorts([]*Flow{f})[0] != 9 {
				continue
			}
			changed++
			if f.Created.Equal(t0) { // an existing flow was modified
				if p, _ := f.Stats(); p != 1 {
					t.Errorf("%s: modify lost counters: %d packets", c.name, p)
				}
				if !f.Modified().Equal(t0.Add(5 * time.Second)) {
					t.Errorf("%s: modified time %v", c.name, f.Modified())
				}
				if f.Cookie != 0x11 && f.Cookie != 0x12 && f.Cookie != 0x21 {
					t.Errorf("%s: cookie changed to %#x", c.name, f.Cookie)
				}
			} else if p, _ := f.Stats(); p != 0 {
				t.Errorf("%s: added flow has counters", c.name)
			}
		}
		if changed != c.changed || ts.Len() != c.total {
			t.Errorf("%s: changed %d total %d, want %d %d", c.name, changed, ts.Len(), c.changed, c.total)
		}
	}
	// reset_counts.
	ts := base()
	mustApply(t, ts, &FlowMod{Command: CmdModifyStrict, Flow: &Flow{Priority: 10, Flags: FlagResetCounts, Match: mkMatch(ex(FieldInPort, 2)), Actions: out(9)}})
	for _, f := range ts.Flows(nil) {
		if p, _ := f.Stats(); (p == 0) != (f.Cookie == 0x21) {
			t.Errorf("reset_counts: cookie %#x has %d packets", f.Cookie, p)
		}
		if f.Cookie == 0x21 && f.HardTimeout != 0 {
			t.Errorf("modify changed timeouts")
		}
	}
	// The 30s hard timeout of the modified flow restarts at modify time.
	ts = base()
	if err := ts.Apply([]*FlowMod{{Command: CmdModifyStrict, Flow: mkFlow(0, 10, out(9), ex(FieldInPort, 1))}}, t0.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if gone := ts.Expire(t0.Add(31 * time.Second)); len(gone) != 0 {
		t.Errorf("expired %d flows right after modify", len(gone))
	}
}

func TestDelete(t *testing.T) {
	base := func() *Tables {
		ts := NewTables()
		mustApply(t, ts,
			add(&Flow{Table: 0, Priority: 10, Cookie: 0x11, Match: mkMatch(ex(FieldInPort, 1)), Actions: out(1)}),
			add(&Flow{Table: 0, Priority: 20, Cookie: 0x12, Match: mkMatch(ex(FieldInPort, 1), ex(FieldEthType, 0x800)), Actions: out(2)}),
			add(&Flow{Table: 0, Priority: 10, Cookie: 0x21, Match: mkMatch(ex(FieldInPort, 2)), Actions: []Action{Output{Port: 3}, Output{Port: 2}}}),
			add(&Flow{Table: 3, Priority: 10, Cookie: 0x11, Match: mkMatch(ex(FieldInPort, 1)), Actions: out(4)}),
			add(&Flow{Table: 3, Priority: 0, Actions: []Action{Controller{MaxLen: 0}}}),
		)
		return ts
	}
	cases := []struct {
		name string
		mod  FlowMod
		left []uint64 // cookies left, in dump order
	}{
		{"loose in_port=1 table 0", FlowMod{Command: CmdDelete, OutPort: PortNone, Flow: mkFlow(0, 0, nil, ex(FieldInPort, 1))}, []uint64{0x21, 0x11, 0}},
		{"loose all tables", FlowMod{Command: CmdDelete, OutPort: PortNone, AllTables: true, Flow: mkFlow(0, 0, nil, ex(FieldInPort, 1))}, []uint64{0x21, 0}},
		{"everything", FlowMod{Command: CmdDelete, OutPort: PortNone, AllTables: true, Flow: &Flow{}}, nil},
		{"one table", FlowMod{Command: CmdDelete, OutPort: PortNone, Flow: &Flow{Table: 3}}, []uint64{0x12, 0x11, 0x21}},
		{"strict", FlowMod{Command: CmdDeleteStrict, OutPort: PortNone, Flow: mkFlow(0, 10, nil, ex(FieldInPort, 1))}, []uint64{0x12, 0x21, 0x11, 0}},
		{"strict wrong priority", FlowMod{Command: CmdDeleteStrict, OutPort: PortNone, Flow: mkFlow(0, 11, nil, ex(FieldInPort, 1))}, []uint64{0x12, 0x11, 0x21, 0x11, 0}},
		{"cookie mask", FlowMod{Command: CmdDelete, OutPort: PortNone, AllTables: true, CookieMask: 0xf0, Flow: &Flow{Cookie: 0x10}}, []uint64{0x21, 0}},
		{"cookie exact", FlowMod{Command: CmdDelete, OutPort: PortNone, AllTables: true, CookieMask: ^uint64(0), Flow: &Flow{Cookie: 0x21}}, []uint64{0x12, 0x11, 0x11, 0}},
		{"out_port 2", FlowMod{Command: CmdDelete, OutPort: 2, AllTables: true, Flow: &Flow{}}, []uint64{0x11, 0x11, 0}},
		{"out_port controller", FlowMod{Command: CmdDelete, OutPort: PortController, AllTables: true, Flow: &Flow{}}, []uint64{0x12, 0x11, 0x21, 0x11}},
		{"strict out_port mismatch", FlowMod{Command: CmdDeleteStrict, OutPort: 7, Flow: mkFlow(0, 10, nil, ex(FieldInPort, 1))}, []uint64{0x12, 0x11, 0x21, 0x11, 0}},
		{"narrower match deletes nothing wider", FlowMod{Command: CmdDelete, OutPort: PortNone, Flow: mkFlow(0, 0, nil, ex(FieldInPort, 1), ex(FieldEthType, 0x800))}, []uint64{0x11, 0x21, 0x11, 0}},
	}
	for _, c := range cases {
		ts := base()
		if err := ts.Apply([]*FlowMod{&c.mod}, t0); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var left []uint64
		for _, f := range ts.Flows(nil) {
			left = append(left, f.Cookie)
		}
		if !slices.Equal(left, c.left) {
			t.Errorf("%s: left %#x, want %#x", c.name, left, c.left)
		}
		if n := ts.Table(0).Len() + ts.Table(3).Len(); n != ts.Len() {
			t.Errorf("%s: table lens %d != Len %d", c.name, n, ts.Len())
		}
	}
}

func TestFlowsOrder(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts,
		add(mkFlow(2, 5, out(1), ex(FieldInPort, 1))),
		add(mkFlow(0, 5, out(2), ex(FieldEthType, 0x800))),
		add(mkFlow(0, 9, out(3), ex(FieldInPort, 1))),
		add(mkFlow(0, 5, out(4), ex(FieldInPort, 2))),
		add(mkFlow(0, 5, out(5), ex(FieldInPort, 3))),
	)
	if got := flowPorts(ts.Flows(nil)); !slices.Equal(got, []int{3, 2, 4, 5, 1}) {
		t.Errorf("order %v", got)
	}
	if got := flowPorts(ts.Flows(func(f *Flow) bool { return f.Priority == 5 })); !slices.Equal(got, []int{2, 4, 5, 1}) {
		t.Errorf("filtered order %v", got)
	}
}

func TestReplace(t *testing.T) {
	ts := NewTables()
	keep := mkFlow(0, 10, out(1), ex(FieldInPort, 1))
	change := mkFlow(0, 10, out(2), ex(FieldInPort, 2))
	drop := mkFlow(1, 10, out(3), ex(FieldInPort, 3))
	mustApply(t, ts, add(keep), add(change), add(drop))
	keep.Hit(10, t0.UnixNano())
	change.Hit(10, t0.UnixNano())
	old := ts.Snapshot()

	later := t0.Add(time.Minute)
	if err := ts.Replace([]*Flow{
		mkFlow(0, 10, out(1), ex(FieldInPort, 1)),
		mkFlow(0, 10, out(7), ex(FieldInPort, 2)),
		mkFlow(2, 10, out(4), ex(FieldInPort, 4)),
	}, later); err != nil {
		t.Fatal(err)
	}
	// The reader holding the old snapshot still sees the old flows.
	var wc Key
	if f := old.Lookup(1, mkKey(ex(FieldInPort, 3)), &wc); f != drop {
		t.Errorf("old snapshot lost table 1's flow")
	}
	if f := old.Lookup(0, mkKey(ex(FieldInPort, 2)), &wc); f != change {
		t.Errorf("old snapshot sees the new table 0 flow")
	}
	if f := old.Lookup(2, mkKey(ex(FieldInPort, 4)), &wc); f != nil {
		t.Errorf("old snapshot sees the new table 2 flow")
	}
	if ts.Len() != 3 || lookupPort(ts, 1, mkKey(ex(FieldInPort, 3))) != 0 || lookupPort(ts, 2, mkKey(ex(FieldInPort, 4))) != 4 {
		t.Errorf("new state wrong")
	}
	var wc2 Key
	if f := ts.Snapshot().Lookup(0, mkKey(ex(FieldInPort, 1)), &wc2); f != keep || !f.Created.Equal(t0) {
		t.Errorf("identical flow was not kept")
	}
	f := ts.Snapshot().Lookup(0, mkKey(ex(FieldInPort, 2)), &wc2)
	if p, _ := f.Stats(); p != 0 || !f.Created.Equal(later) || flowPorts([]*Flow{f})[0] != 7 {
		t.Errorf("changed flow: packets %d created %v", p, f.Created)
	}
	if err := ts.Replace([]*Flow{mkFlow(255, 1, nil)}, later); !errors.Is(err, ErrBadTable) || ts.Len() != 3 {
		t.Errorf("Replace with table 255: %v", err)
	}
	// Replacing with the installed flows themselves changes nothing.
	cur := ts.Flows(nil)
	if err := ts.Replace(cur, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := ts.Flows(nil); !slices.Equal(got, cur) {
		t.Errorf("replace with own flows changed them")
	}
	if err := ts.Replace(nil, later); err != nil || ts.Len() != 0 {
		t.Errorf("Replace(nil): %v, %d flows", err, ts.Len())
	}
}

// TestReplaceAtomicUnderLoad checks that concurrent readers only ever see
// one complete generation of flows, never a mix.
func TestReplaceAtomicUnderLoad(t *testing.T) {
	ts := NewTables()
	gen := func(g int) []*Flow {
		var fl []*Flow
		for i := 1; i <= 50; i++ {
			fl = append(fl, mkFlow(uint8(i%5), 10, out(Port(g)), ex(FieldInPort, uint64(i))))
		}
		return fl
	}
	if err := ts.Replace(gen(1), t0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := ts.Snapshot()
				want := -1
				for i := 1; i <= 50; i++ {
					var wc Key
					f := s.Lookup(uint8(i%5), mkKey(ex(FieldInPort, uint64(i))), &wc)
					if f == nil {
						t.Errorf("flow %d missing", i)
						return
					}
					p := int(f.Actions[0].(Output).Port)
					if want < 0 {
						want = p
					} else if p != want {
						t.Errorf("mixed generations %d and %d", want, p)
						return
					}
				}
			}
		}()
	}
	for g := 2; g < 200; g++ {
		if err := ts.Replace(gen(g), t0); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestLearn(t *testing.T) {
	ts := NewTables()
	mk := func(p Port) *Flow {
		return &Flow{Table: 20, Priority: 1, HardTimeout: 300, Match: mkMatch(ex(FieldEthDst, 0xfa163e000001), fv{f: FieldVLANTCI, v: 1, mask: 0xfff}), Actions: out(p)}
	}
	ts.Learn(mk(5), 0, t0)
	f := ts.Snapshot().Lookup(20, mkKey(ex(FieldEthDst, 0xfa163e000001), ex(FieldVLANTCI, 0x1001)), new(Key))
	if f == nil {
		t.Fatal("learned flow not found")
	}
	f.Hit(64, t0.UnixNano())
	snap := ts.Snapshot()

	// Same flow again: refreshed in place, no new snapshot.
	ts.Learn(mk(5), 0, t0.Add(200*time.Second))
	if ts.Snapshot() != snap || !f.Modified().Equal(t0.Add(200*time.Second)) {
		t.Errorf("identical learn did not refresh in place")
	}
	if gone := ts.Expire(t0.Add(301 * time.Second)); len(gone) != 0 {
		t.Errorf("refreshed flow expired at 301s")
	}
	// Different actions: replaced, counters and creation kept.
	ts.Learn(mk(6), 0, t0.Add(250*time.Second))
	g := ts.Snapshot().Lookup(20, mkKey(ex(FieldEthDst, 0xfa163e000001), ex(FieldVLANTCI, 0x1001)), new(Key))
	if g == f || flowPorts([]*Flow{g})[0] != 6 {
		t.Fatalf("learn did not update actions")
	}
	if p, _ := g.Stats(); p != 1 || !g.Created.Equal(t0) || ts.Len() != 1 {
		t.Errorf("learn update: packets %d created %v len %d", p, g.Created, ts.Len())
	}
	if gone := ts.Expire(t0.Add(549 * time.Second)); len(gone) != 0 {
		t.Errorf("expired before hard timeout")
	}
	if gone := ts.Expire(t0.Add(550 * time.Second)); len(gone) != 1 || gone[0] != g || ts.Len() != 0 {
		t.Errorf("not expired at 550s: %d", len(gone))
	}
	ts.Learn(&Flow{Table: 255}, 0, t0) // ignored
	ts.Learn(nil, 0, t0)
	if ts.Len() != 0 {
		t.Errorf("learn to table 255 added a flow")
	}
}

func TestLearnConcurrentWithLookups(t *testing.T) {
	ts := NewTables()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				k := mkKey(ex(FieldEthDst, uint64(i%50)))
				var wc Key
				ts.Snapshot().Lookup(10, k, &wc)
				ts.Learn(&Flow{Table: 10, Priority: 1, HardTimeout: 300, Match: mkMatch(ex(FieldEthDst, uint64(i%50))), Actions: out(Port(1 + w%2))}, 0, t0)
			}
		}(w)
	}
	wg.Wait()
	if ts.Len() != 50 {
		t.Errorf("Len = %d, want 50", ts.Len())
	}
}

func TestExpire(t *testing.T) {
	ts := NewTables()
	hard := &Flow{Priority: 1, HardTimeout: 10, Match: mkMatch(ex(FieldInPort, 1)), Actions: out(1)}
	idle := &Flow{Priority: 1, IdleTimeout: 10, Match: mkMatch(ex(FieldInPort, 2)), Actions: out(1)}
	idleHit := &Flow{Priority: 1, IdleTimeout: 10, Match: mkMatch(ex(FieldInPort, 3)), Actions: out(1)}
	both := &Flow{Priority: 1, IdleTimeout: 5, HardTimeout: 20, Match: mkMatch(ex(FieldInPort, 4)), Actions: out(1)}
	forever := &Flow{Priority: 1, Match: mkMatch(ex(FieldInPort, 5)), Actions: out(1)}
	mustApply(t, ts, add(hard), add(idle), add(idleHit), add(both), add(forever))
	idleHit.Hit(1, t0.Add(8*time.Second).UnixNano())
	both.Hit(1, t0.Add(5*time.Second).UnixNano())
	steps := []struct {
		at   time.Duration
		gone []*Flow
	}{
		{9 * time.Second, nil},
		{10 * time.Second, []*Flow{hard, idle, both}}, // both: idle since 5s+5s
		{17 * time.Second, nil},
		{18 * time.Second, []*Flow{idleHit}},
		{time.Hour, nil},
	}
	for _, s := range steps {
		gone := ts.Expire(t0.Add(s.at))
		slices.SortFunc(gone, func(a, b *Flow) int { return int(a.Match.Value[0]) - int(b.Match.Value[0]) })
		if !slices.Equal(gone, s.gone) {
			t.Errorf("at %v: expired %d flows, want %d", s.at, len(gone), len(s.gone))
		}
	}
	if ts.Len() != 1 {
		t.Errorf("Len = %d, want 1", ts.Len())
	}
}

func TestCounters(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts, add(mkFlow(4, 1, out(1), ex(FieldInPort, 1))))
	s := ts.Snapshot()
	var wc Key
	s.Lookup(4, mkKey(ex(FieldInPort, 1)), &wc)
	s.Lookup(4, mkKey(ex(FieldInPort, 2)), &wc)
	s.Lookup(5, mkKey(ex(FieldInPort, 1)), &wc)
	s.Lookup(255, mkKey(ex(FieldInPort, 1)), &wc)
	if l, m := ts.Table(4).Counters(); l != 2 || m != 1 {
		t.Errorf("table 4 counters %d %d", l, m)
	}
	if l, m := ts.Table(5).Counters(); l != 1 || m != 0 {
		t.Errorf("table 5 counters %d %d", l, m)
	}
	// Counters survive modifications.
	mustApply(t, ts, add(mkFlow(4, 2, out(1), ex(FieldInPort, 1))))
	if l, _ := ts.Table(4).Counters(); l != 2 {
		t.Errorf("counters reset by a flow mod")
	}
	if ts.Table(255) == nil {
		t.Errorf("Table(255) = nil")
	}
}
