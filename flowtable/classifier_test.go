package flowtable

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// refLookup is the brute-force reference: a linear scan with the
// conjunctive-match rules written out directly.
func refLookup(flows []*Flow, table uint8, k *Key) *Flow {
	best := func(k *Key) *Flow {
		var b *Flow
		for _, f := range flows {
			if f.Table == table && !isSoft(f.Actions) && f.Match.Matches(k) && (b == nil || f.Priority > b.Priority) {
				b = f
			}
		}
		return b
	}
	hard := best(k)
	var soft []*Flow
	for _, f := range flows {
		if f.Table == table && isSoft(f.Actions) && f.Match.Matches(k) && (hard == nil || f.Priority > hard.Priority) {
			soft = append(soft, f)
		}
	}
	slices.SortStableFunc(soft, func(a, b *Flow) int { return int(b.Priority) - int(a.Priority) })
	for len(soft) > 0 {
		pri := soft[0].Priority
		type idn struct {
			id uint32
			n  uint8
		}
		seen := map[idn]map[uint8]bool{}
		for len(soft) > 0 && soft[0].Priority == pri {
			for _, a := range soft[0].Actions {
				if c, ok := a.(Conjunction); ok {
					if seen[idn{c.ID, c.NClauses}] == nil {
						seen[idn{c.ID, c.NClauses}] = map[uint8]bool{}
					}
					seen[idn{c.ID, c.NClauses}][c.Clause] = true
				}
			}
			soft = soft[1:]
		}
		var ids []uint32
		for x, cl := range seen {
			if len(cl) == int(x.n) {
				ids = append(ids, x.id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			kc := *k
			kc.Set(FieldByID(FieldConjID), Value{Lo: uint64(id)})
			if r := best(&kc); r != nil && r.Match.Has(FieldByID(FieldConjID)) {
				return r
			}
		}
	}
	return hard
}

// randomMasks are the shapes of random flows: field sets, with masks.
var randomMasks = [][]fv{
	{},
	{{f: FieldInPort}},
	{{f: FieldInPort}, {f: FieldEthSrc}},
	{{f: FieldEthType}, {f: FieldIPv4Dst, mask: 0xffffff00}},
	{{f: FieldEthType}, {f: FieldIPv4Dst}},
	{{f: FieldReg0 + 5}},
	{{f: FieldEthType}, {f: FieldIPProto}, {f: FieldTCPDst}},
	{{f: FieldInPort}, {f: FieldEthType}, {f: FieldIPv4Src, mask: 0xffff0000}},
	{{f: FieldMetadata, mask: 0xf0f0}},
	{{f: FieldReg0 + 5}, {f: FieldCTState, mask: 0x21}},
	{{f: FieldVLANTCI, mask: 0x1fff}, {f: FieldEthDst, mask: 0x010000000000}},
	{{f: FieldTunID}, {f: FieldInPort}},
}

// randomValue picks from a small range so that flows and keys collide.
func randomValue(r *rand.Rand, f FieldID) uint64 {
	switch f {
	case FieldEthType:
		return []uint64{0x800, 0x806, 0x86dd}[r.IntN(3)]
	case FieldIPv4Dst, FieldIPv4Src:
		return 0x0a000000 | uint64(r.IntN(2))<<16 | uint64(r.IntN(3))<<8 | uint64(r.IntN(3))
	case FieldEthSrc, FieldEthDst:
		return uint64(r.IntN(2))<<40 | uint64(r.IntN(4))
	case FieldMetadata:
		return uint64(r.IntN(1 << 16))
	case FieldCTState:
		return uint64(r.IntN(64))
	case FieldVLANTCI:
		return uint64(r.IntN(2))<<12 | uint64(r.IntN(3))
	}
	return uint64(1 + r.IntN(4))
}

func randomFlow(r *rand.Rand, table uint8) *Flow {
	shape := randomMasks[r.IntN(len(randomMasks))]
	var cs []fv
	for _, c := range shape {
		c.v = randomValue(r, c.f)
		cs = append(cs, c)
	}
	return mkFlow(table, uint16(r.IntN(30)), out(Port(1+r.IntN(1000))), cs...)
}

func randomKey(r *rand.Rand) *Key {
	var cs []fv
	for _, f := range []FieldID{FieldInPort, FieldEthSrc, FieldEthDst, FieldEthType, FieldIPv4Src, FieldIPv4Dst,
		FieldIPProto, FieldTCPDst, FieldReg0 + 5, FieldMetadata, FieldCTState, FieldVLANTCI, FieldTunID} {
		v := randomValue(r, f)
		if r.IntN(4) == 0 {
			v = r.Uint64() // usually matches nothing
		}
		cs = append(cs, fv{f: f, v: v})
	}
	k := mkKey(cs...)
	if r.IntN(4) == 0 { // some keys with unrelated noise
		k[wMarks] = r.Uint64()
	}
	return k
}

// perturb returns a copy of k changed only in bits outside wc.
func perturb(r *rand.Rand, k, wc *Key) *Key {
	k2 := *k
	for i := range k2 {
		if r.IntN(3) == 0 {
			k2[i] = k[i]&wc[i] | r.Uint64()&^wc[i]
		}
	}
	return &k2
}

// TestClassifierMatchesLinearScan is the key property test: after random
// adds and deletes, every lookup returns a flow of the same priority as a
// brute-force scan (ties between overlapping flows are unspecified), the
// flow matches, and the wildcards are sound: every key that agrees with the
// looked-up one on the wildcarded bits gets the very same flow.
func TestClassifierMatchesLinearScan(t *testing.T) {
	hits, conjHits, lookups := 0, 0, 0
	defer func() {
		t.Logf("%d lookups, %d hits, %d through conjunctions", lookups, hits, conjHits)
		if hits < lookups/4 || hits == lookups || conjHits == 0 {
			t.Errorf("random test exercises too little: %d lookups, %d hits, %d conjunctive", lookups, hits, conjHits)
		}
	}()
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		ts := NewTables()
		var mods []*FlowMod
		n := 50 + r.IntN(1500)
		for i := 0; i < n; i++ {
			f := randomFlow(r, uint8(r.IntN(2)))
			if seed%2 == 1 && f.Match.Mask == (Key{}) {
				continue // half the seeds have no catch-all flows, so lookups miss
			}
			if r.IntN(12) == 0 {
				f.Table = 0
				f.Actions = []Action{conj(uint32(1+r.IntN(3)), uint8(1+r.IntN(2)), 2)}
				f.Priority += uint16(r.IntN(20))
			}
			mods = append(mods, add(f))
			if r.IntN(10) == 0 {
				mods = append(mods, &FlowMod{Command: CmdDeleteStrict, Flow: randomFlow(r, uint8(r.IntN(2))), OutPort: PortNone})
			}
			if len(mods) > r.IntN(200) {
				mustApply(t, ts, mods...)
				mods = nil
			}
		}
		mustApply(t, ts, mods...)
		// Conj_id flows for ids 1..3.
		for id := uint64(1); id <= 3; id++ {
			mustApply(t, ts, add(mkFlow(0, uint16(r.IntN(50)), out(Port(2000+id)), ex(FieldConjID, id))))
		}
		flows := ts.Flows(nil)
		if len(flows) != ts.Len() {
			t.Fatalf("Flows %d != Len %d", len(flows), ts.Len())
		}
		s := ts.Snapshot()
		for i := 0; i < 3000; i++ {
			k := randomKey(r)
			table := uint8(r.IntN(2))
			var wc Key
			got := s.Lookup(table, k, &wc)
			want := refLookup(flows, table, k)
			if (got == nil) != (want == nil) || (got != nil && got.Priority != want.Priority) {
				t.Fatalf("seed %d key %d table %d: got %v, want %v", seed, i, table, desc(got), desc(want))
			}
			lookups++
			if got != nil {
				hits++
				if got.IsConjunctive() {
					t.Fatalf("returned a conjunctive flow")
				}
				kc := *k
				if got.Match.Has(FieldByID(FieldConjID)) {
					conjHits++
					kc[wConj] = got.Match.Value[wConj]
				}
				if !got.Match.Matches(&kc) {
					t.Fatalf("returned flow does not match the key")
				}
			}
			for j := 0; j < 3; j++ {
				var wc2 Key
				if g2 := s.Lookup(table, perturb(r, k, &wc), &wc2); g2 != got {
					t.Fatalf("seed %d: key differing outside the wildcards got %v, want %v", seed, desc(g2), desc(got))
				}
			}
		}
	}
}

func desc(f *Flow) any {
	if f == nil {
		return "none"
	}
	return struct {
		Pri  uint16
		Acts []Action
	}{f.Priority, f.Actions}
}

func TestPrioritiesAcrossSubtables(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts,
		add(mkFlow(0, 0, out(1))),
		add(mkFlow(0, 10, out(2), ex(FieldInPort, 1))),
		add(mkFlow(0, 30, out(3), ex(FieldEthType, 0x800), fv{f: FieldIPv4Dst, v: 0x0a000000, mask: 0xffffff00})),
		add(mkFlow(0, 20, out(4), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000005))),
		add(mkFlow(0, 40, out(5), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000006))),
		add(mkFlow(0, 5, out(6), ex(FieldInPort, 1), ex(FieldEthType, 0x800))),
	)
	cases := []struct {
		k    *Key
		want int
	}{
		{mkKey(ex(FieldInPort, 2)), 1},
		{mkKey(ex(FieldInPort, 1)), 2},
		{mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x800)), 2},
		{mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000005)), 3},
		{mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000006)), 5},
		{mkKey(ex(FieldInPort, 3), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000106)), 1},
	}
	for i, c := range cases {
		if got := lookupPort(ts, 0, c.k); got != c.want {
			t.Errorf("case %d: port %d, want %d", i, got, c.want)
		}
	}
	// Deleting the top flow lowers its subtable's priority.
	mustApply(t, ts, &FlowMod{Command: CmdDeleteStrict, OutPort: PortNone, Flow: mkFlow(0, 40, nil, ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000006))})
	if got := lookupPort(ts, 0, cases[4].k); got != 3 {
		t.Errorf("after delete: port %d, want 3", got)
	}
}

func TestWildcards(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts,
		add(mkFlow(0, 100, out(1), ex(FieldInPort, 1))),
		add(mkFlow(0, 50, out(2), ex(FieldEthType, 0x800), fv{f: FieldIPv4Dst, v: 0x0a000000, mask: 0xffffff00})),
		add(mkFlow(0, 10, out(3), ex(FieldReg0+5, 7))),
	)
	inPort, ethType, nwDst, reg5 := FieldByID(FieldInPort), FieldByID(FieldEthType), FieldByID(FieldIPv4Dst), FieldByID(FieldReg0+5)
	cases := []struct {
		name  string
		k     *Key
		want  []*Field // fields that must be (partly) unwildcarded
		clear []*Field // fields that must stay wildcarded
	}{
		// Hit in the top subtable: only in_port is looked at (early exit).
		{"early exit", mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x800)), []*Field{inPort}, []*Field{ethType, nwDst, reg5}},
		{"second", mkKey(ex(FieldInPort, 2), ex(FieldEthType, 0x800), ex(FieldIPv4Dst, 0x0a000009)), []*Field{inPort, ethType, nwDst}, []*Field{reg5}},
		{"miss", mkKey(ex(FieldInPort, 2)), []*Field{inPort, ethType, nwDst, reg5}, nil},
	}
	for _, c := range cases {
		var wc Key
		ts.Snapshot().Lookup(0, c.k, &wc)
		for _, f := range c.want {
			if wc.Get(f).IsZero() {
				t.Errorf("%s: %s wildcarded", c.name, f.Name)
			}
		}
		for _, f := range c.clear {
			if !wc.Get(f).IsZero() {
				t.Errorf("%s: %s unwildcarded", c.name, f.Name)
			}
		}
		if got := wc.Get(nwDst); c.name == "second" && got.Lo != 0xffffff00 {
			t.Errorf("nw_dst mask %#x, want /24", got.Lo)
		}
	}
	// Lookups OR into wc, they never clear it.
	wc := Key{wRegs + 7: 0x55}
	ts.Snapshot().Lookup(0, mkKey(ex(FieldInPort, 1)), &wc)
	if wc[wRegs+7] != 0x55 {
		t.Errorf("lookup cleared wc bits")
	}
}

func TestConjunction(t *testing.T) {
	const (
		ipSrc = FieldIPv4Src
		reg5  = FieldReg0 + 5
	)
	mk := func() *Tables {
		ts := NewTables()
		mustApply(t, ts,
			add(mkFlow(82, 0, nil)),
			// id 16: 2 clauses, as Neutron's remote-group rules.
			add(mkFlow(82, 70, []Action{conj(16, 1, 2)}, ex(FieldEthType, 0x800), ex(ipSrc, 0x0a000001))),
			add(mkFlow(82, 70, []Action{conj(16, 1, 2), conj(17, 1, 2)}, ex(FieldEthType, 0x800), ex(ipSrc, 0x0a000002))),
			add(mkFlow(82, 70, []Action{conj(16, 2, 2)}, ex(FieldEthType, 0x800), ex(reg5, 5), fv{f: FieldCTState, v: 0x02, mask: 0x06})),
			add(mkFlow(82, 70, []Action{conj(17, 2, 2), Note{Data: []byte("x")}}, ex(FieldEthType, 0x800), ex(reg5, 6))),
			add(mkFlow(82, 70, out(16), ex(FieldConjID, 16), ex(FieldEthType, 0x800))),
			add(mkFlow(82, 70, out(17), ex(FieldConjID, 17), ex(FieldEthType, 0x800))),
			// id 30: 3 clauses at priority 60.
			add(mkFlow(82, 60, []Action{conj(30, 1, 3)}, ex(FieldInPort, 1))),
			add(mkFlow(82, 60, []Action{conj(30, 2, 3)}, ex(FieldEthType, 0x806))),
			add(mkFlow(82, 60, []Action{conj(30, 3, 3)}, ex(reg5, 9))),
			add(mkFlow(82, 60, out(30), ex(FieldConjID, 30))),
			// A plain flow that competes.
			add(mkFlow(82, 65, out(99), ex(reg5, 99))),
		)
		return ts
	}
	ts := mk()
	base := []fv{ex(FieldEthType, 0x800), ex(FieldCTState, 0x02)}
	key := func(cs ...fv) *Key { return mkKey(append(slices.Clone(base), cs...)...) }
	cases := []struct {
		name string
		k    *Key
		want int
	}{
		{"16 complete", key(ex(ipSrc, 0x0a000001), ex(reg5, 5)), 16},
		{"16 via second clause-1 flow", key(ex(ipSrc, 0x0a000002), ex(reg5, 5)), 16},
		{"17 complete", key(ex(ipSrc, 0x0a000002), ex(reg5, 6)), 17},
		{"16 missing clause 2", key(ex(ipSrc, 0x0a000001), ex(reg5, 6)), -1},
		{"16 missing clause 1", key(ex(ipSrc, 0x0a000003), ex(reg5, 5)), -1},
		{"clause 2 needs ct_state", mkKey(ex(FieldEthType, 0x800), ex(FieldCTState, 0x06), ex(ipSrc, 0x0a000001), ex(reg5, 5)), -1},
		{"3 clauses complete", mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x806), ex(reg5, 9)), 30},
		{"3 clauses, one missing", mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x806), ex(reg5, 8)), -1},
		{"3 clauses, other missing", mkKey(ex(FieldInPort, 2), ex(FieldEthType, 0x806), ex(reg5, 9)), -1},
	}
	check := func(ts *Tables, label string) {
		for _, c := range cases {
			if got := lookupPort(ts, 82, c.k); got != c.want {
				t.Errorf("%s %s: port %d, want %d", label, c.name, got, c.want)
			}
		}
	}
	check(ts, "")
	// A higher-priority ordinary flow wins over the conjunction.
	mustApply(t, ts, add(mkFlow(82, 80, out(80), ex(reg5, 5))))
	if got := lookupPort(ts, 82, key(ex(ipSrc, 0x0a000001), ex(reg5, 5))); got != 80 {
		t.Errorf("priority 80 flow: port %d, want 80", got)
	}
	// A lower-priority ordinary flow loses to it.
	ts = mk()
	mustApply(t, ts, add(mkFlow(82, 69, out(69), ex(reg5, 5))))
	if got := lookupPort(ts, 82, key(ex(ipSrc, 0x0a000001), ex(reg5, 5))); got != 16 {
		t.Errorf("priority 69 flow beat the conjunction: port %d", got)
	}
	if got := lookupPort(ts, 82, key(ex(ipSrc, 0x0a000003), ex(reg5, 5))); got != 69 {
		t.Errorf("incomplete conjunction: port %d, want 69", got)
	}
	// Without the conj_id flow a complete conjunction gives nothing.
	mustApply(t, ts, &FlowMod{Command: CmdDelete, OutPort: PortNone, Flow: mkFlow(82, 0, nil, ex(FieldConjID, 16))})
	if got := lookupPort(ts, 82, key(ex(ipSrc, 0x0a000001), ex(reg5, 5))); got != 69 {
		t.Errorf("no conj_id flow: port %d, want 69", got)
	}
	// A complete conjunction at a lower level is found when the higher
	// level is incomplete.
	ts = mk()
	mustApply(t, ts, add(mkFlow(82, 75, []Action{conj(40, 1, 2)}, ex(FieldInPort, 1))),
		add(mkFlow(82, 75, out(40), ex(FieldConjID, 40))))
	if got := lookupPort(ts, 82, mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x806), ex(reg5, 9))); got != 30 {
		t.Errorf("lower level: port %d, want 30", got)
	}
	// Modify can turn a conjunctive flow into an ordinary one and back.
	mustApply(t, ts, &FlowMod{Command: CmdModifyStrict, Flow: mkFlow(82, 75, out(41), ex(FieldInPort, 1))})
	if got := lookupPort(ts, 82, mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x806), ex(reg5, 9))); got != 41 {
		t.Errorf("modified to ordinary: port %d, want 41", got)
	}
	mustApply(t, ts, &FlowMod{Command: CmdModifyStrict, Flow: mkFlow(82, 75, []Action{conj(40, 1, 2)}, ex(FieldInPort, 1))})
	if got := lookupPort(ts, 82, mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x806), ex(reg5, 9))); got != 30 {
		t.Errorf("modified back: port %d, want 30", got)
	}
}

// TestConjunctionOverflow: more matching conjunctive flows than the lookup
// scratch holds must degrade gracefully, never panic.
func TestConjunctionOverflow(t *testing.T) {
	ts := NewTables()
	var mods []*FlowMod
	for i := 0; i < 3*maxSoft; i++ {
		mods = append(mods, add(mkFlow(0, uint16(100+i), []Action{conj(uint32(i), 1, 2)}, ex(FieldReg0+FieldID(i%16), 0))))
	}
	for id := 0; id < 3*maxConjIDs; id++ {
		mods = append(mods, add(mkFlow(0, 500, []Action{conj(uint32(1000+id), 1, 1)}, ex(FieldInPort, 1))))
	}
	mods = append(mods, add(mkFlow(0, 500, out(7), ex(FieldConjID, 1000+3*maxConjIDs-1))), add(mkFlow(0, 1, out(1))))
	mustApply(t, ts, mods...)
	if got := lookupPort(ts, 0, mkKey(ex(FieldInPort, 2))); got != 1 {
		t.Errorf("overflow: port %d, want 1", got)
	}
	if got := lookupPort(ts, 0, mkKey(ex(FieldInPort, 1))); got != 1 && got != 7 {
		t.Errorf("overflow ids: port %d", got)
	}
}

func TestLookupAllocatesNothing(t *testing.T) {
	ts := NewTables()
	r := rand.New(rand.NewPCG(1, 2))
	var mods []*FlowMod
	for i := 0; i < 2000; i++ {
		mods = append(mods, add(randomFlow(r, 0)))
	}
	mods = append(mods,
		add(mkFlow(0, 90, []Action{conj(5, 1, 2)}, ex(FieldInPort, 1))),
		add(mkFlow(0, 90, []Action{conj(5, 2, 2)}, ex(FieldReg0+5, 1))),
		add(mkFlow(0, 90, out(5), ex(FieldConjID, 5))))
	mustApply(t, ts, mods...)
	keys := make([]*Key, 64)
	for i := range keys {
		keys[i] = randomKey(r)
	}
	keys[0] = mkKey(ex(FieldInPort, 1), ex(FieldReg0+5, 1))
	if lookupPort(ts, 0, keys[0]) != 5 {
		t.Fatalf("conjunction not found")
	}
	s := ts.Snapshot()
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		var wc Key
		s.Lookup(0, keys[i%len(keys)], &wc)
		i++
	})
	if allocs != 0 {
		t.Errorf("Lookup allocates %.1f times", allocs)
	}
	if a := testing.AllocsPerRun(100, func() { _ = ts.Snapshot() }); a != 0 {
		t.Errorf("Snapshot allocates")
	}
}

// TestLargeSubtableCopyOnWrite grows one subtable through many shard
// doublings, one flow mod at a time and in batches, and checks that every
// older snapshot still sees exactly its own flows.
func TestLargeSubtableCopyOnWrite(t *testing.T) {
	ts := NewTables()
	type snap struct {
		s    *Snapshot
		live map[uint64]int // dl_src -> output port
	}
	live := map[uint64]int{}
	var snaps []snap
	r := rand.New(rand.NewPCG(4, 4))
	keyOf := func(src uint64) *Key { return mkKey(ex(FieldInPort, 1), ex(FieldEthSrc, src)) }
	for step := 0; step < 400; step++ {
		var mods []*FlowMod
		n := 1
		if step%10 == 0 {
			n = 200
		}
		for i := 0; i < n; i++ {
			src := uint64(r.IntN(6000))
			port := 1 + r.IntN(100)
			switch r.IntN(4) {
			case 0:
				mods = append(mods, &FlowMod{Command: CmdDeleteStrict, OutPort: PortNone, Flow: mkFlow(0, 5, nil, ex(FieldInPort, 1), ex(FieldEthSrc, src))})
				delete(live, src)
			case 1:
				mods = append(mods, &FlowMod{Command: CmdModifyStrict, Flow: mkFlow(0, 5, out(Port(port)), ex(FieldInPort, 1), ex(FieldEthSrc, src))})
				live[src] = port
			default:
				mods = append(mods, add(mkFlow(0, 5, out(Port(port)), ex(FieldInPort, 1), ex(FieldEthSrc, src))))
				live[src] = port
			}
		}
		mustApply(t, ts, mods...)
		if step%40 == 0 {
			snaps = append(snaps, snap{ts.Snapshot(), maps.Clone(live)})
		}
	}
	snaps = append(snaps, snap{ts.Snapshot(), maps.Clone(live)})
	if ts.Len() != len(live) {
		t.Fatalf("Len %d, want %d", ts.Len(), len(live))
	}
	if bits := ts.Snapshot().tables[0].subs[0].bits; bits < 3 {
		t.Errorf("subtable did not grow its shards: %d bits", bits)
	}
	for j, sn := range snaps {
		if sn.s.Len() != len(sn.live) {
			t.Errorf("snapshot %d: Len %d, want %d", j, sn.s.Len(), len(sn.live))
		}
		for src := uint64(0); src < 6000; src++ {
			var wc Key
			f := sn.s.Lookup(0, keyOf(src), &wc)
			want, ok := sn.live[src]
			if (f != nil) != ok || (ok && int(f.Actions[0].(Output).Port) != want) {
				t.Fatalf("snapshot %d src %d: got %v, want %v/%v", j, src, desc(f), want, ok)
			}
		}
	}
}

func TestLookupNilWildcards(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts, add(mkFlow(0, 1, out(3), ex(FieldInPort, 1))))
	if f := ts.Snapshot().Lookup(0, mkKey(ex(FieldInPort, 1)), nil); f == nil {
		t.Errorf("lookup with nil wildcards missed")
	}
	k := mkKey(ex(FieldInPort, 1))
	if a := testing.AllocsPerRun(100, func() { ts.Snapshot().Lookup(0, k, nil) }); a != 0 {
		t.Errorf("nil-wildcard lookup allocates %.1f", a)
	}
}

// TestConjunctionInvalidClauses: malformed conjunction actions (from a
// controller) are ignored, never a panic.
func TestConjunctionInvalidClauses(t *testing.T) {
	ts := NewTables()
	mustApply(t, ts,
		add(mkFlow(0, 9, []Action{conj(1, 0, 2)}, ex(FieldInPort, 1))),
		add(mkFlow(0, 9, []Action{conj(1, 3, 2)}, ex(FieldInPort, 1), ex(FieldEthType, 0x800))),
		add(mkFlow(0, 9, []Action{conj(2, 1, 0)}, ex(FieldReg0, 0))),
		add(mkFlow(0, 9, []Action{conj(3, 65, 65)}, ex(FieldReg0+1, 0))),
		add(mkFlow(0, 9, []Action{conj(4, 64, 64)}, ex(FieldReg0+2, 0))),
		add(mkFlow(0, 9, out(1), ex(FieldConjID, 1))),
		add(mkFlow(0, 9, out(2), ex(FieldConjID, 2))),
		add(mkFlow(0, 9, out(3), ex(FieldConjID, 3))),
		add(mkFlow(0, 1, out(9))),
	)
	if got := lookupPort(ts, 0, mkKey(ex(FieldInPort, 1), ex(FieldEthType, 0x800))); got != 9 {
		t.Errorf("invalid conjunctions matched: port %d", got)
	}
}
