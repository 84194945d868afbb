package flowtable

import (
	"errors"
	"testing"
	"time"
)

func limitFlow(dst uint64, idle, hard, importance uint16) *Flow {
	return &Flow{Table: 0, Priority: 1, IdleTimeout: idle, HardTimeout: hard, Importance: importance,
		Match: mkMatch(ex(FieldEthDst, dst)), Actions: out(1)}
}

// TestTableLimitRefuse: at its limit a refusing table takes no new flow,
// the whole batch is refused and nothing changes; replacing a flow of the
// same match and priority needs no room.
func TestTableLimitRefuse(t *testing.T) {
	ts := NewTables()
	ts.SetLimit(0, TableLimit{Max: 2})
	if err := ts.Apply([]*FlowMod{add(limitFlow(1, 0, 0, 0)), add(limitFlow(2, 0, 0, 0))}, t0); err != nil {
		t.Fatal(err)
	}
	err := ts.Apply([]*FlowMod{add(limitFlow(2, 0, 0, 0)), add(limitFlow(3, 0, 0, 0))}, t0)
	if !errors.Is(err, ErrTableFull) {
		t.Fatalf("third flow: %v, want ErrTableFull", err)
	}
	if n := ts.Table(0).Len(); n != 2 {
		t.Fatalf("table holds %d flows after a refused batch, want 2", n)
	}
	if err := ts.Apply([]*FlowMod{add(limitFlow(2, 0, 0, 0))}, t0); err != nil {
		t.Fatalf("replacing a flow at the limit: %v", err)
	}
	if ok, _ := ts.Learn(limitFlow(9, 10, 0, 0), 0, t0); ok {
		t.Fatal("learn into a full refusing table succeeded")
	}
	if err := ts.Replace([]*Flow{limitFlow(1, 0, 0, 0), limitFlow(1, 0, 0, 0), limitFlow(5, 0, 0, 0)}, t0); err != nil {
		t.Fatalf("replace with 2 distinct flows: %v", err)
	}
	if err := ts.Replace([]*Flow{limitFlow(1, 0, 0, 0), limitFlow(2, 0, 0, 0), limitFlow(3, 0, 0, 0)}, t0); !errors.Is(err, ErrTableFull) {
		t.Fatalf("replace with 3 flows: %v, want ErrTableFull", err)
	}
	if ts.Limit(0) != (TableLimit{Max: 2}) {
		t.Fatalf("Limit = %+v", ts.Limit(0))
	}
}

// TestTableLimitEvict: an evicting table makes room by removing, among
// flows with a timeout, one of the lowest importance that would expire
// soonest; permanent flows are never evicted.
func TestTableLimitEvict(t *testing.T) {
	ts := NewTables()
	ts.SetLimit(0, TableLimit{Max: 4, Evict: true})
	flows := []*FlowMod{
		add(limitFlow(1, 0, 0, 0)),  // permanent
		add(limitFlow(2, 0, 50, 0)), // hard timeout, expires at 50 s
		add(limitFlow(3, 20, 0, 0)), // idle timeout, expires at 20 s: first to go
		add(limitFlow(4, 5, 0, 9)),  // expires soonest, but more important
	}
	if err := ts.Apply(flows, t0); err != nil {
		t.Fatal(err)
	}
	present := func(dst uint64) bool {
		return ts.Snapshot().Lookup(0, mkKey(ex(FieldEthDst, dst)), new(Key)) != nil
	}
	for i, want := range []uint64{3, 2, 4} {
		if err := ts.Apply([]*FlowMod{add(limitFlow(uint64(10+i), 0, 0, 0))}, t0); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if present(want) {
			t.Fatalf("add %d: flow %d should have been evicted", i, want)
		}
	}
	// Only permanent flows are left: nothing may go.
	if err := ts.Apply([]*FlowMod{add(limitFlow(20, 0, 0, 0))}, t0.Add(time.Second)); !errors.Is(err, ErrTableFull) {
		t.Fatalf("add into a table of permanent flows: %v, want ErrTableFull", err)
	}
	if !present(1) || ts.Table(0).Len() != 4 {
		t.Fatalf("table changed: %d flows", ts.Table(0).Len())
	}
}

// TestLearnLimit: learn(limit=N) refuses a new flow once the table holds N
// flows with the learned cookie; other cookies and refreshes go on.
func TestLearnLimit(t *testing.T) {
	ts := NewTables()
	mk := func(dst, cookie uint64) *Flow {
		f := limitFlow(dst, 10, 0, 0)
		f.Table, f.Cookie = 3, cookie
		return f
	}
	for i, c := range []struct {
		dst, cookie uint64
		want        bool
	}{{1, 5, true}, {2, 5, true}, {3, 5, false}, {1, 5, true}, {3, 6, true}} {
		if got, _ := ts.Learn(mk(c.dst, c.cookie), 2, t0); got != c.want {
			t.Errorf("learn %d (dst %d cookie %d) = %v, want %v", i, c.dst, c.cookie, got, c.want)
		}
	}
	if n := ts.Table(3).Len(); n != 3 {
		t.Fatalf("table 3 holds %d flows, want 3", n)
	}
}
