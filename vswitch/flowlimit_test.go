package vswitch

import (
	"errors"
	"testing"

	"github.com/gvs-project/gvs/datapath"
)

// TestFlowLimitFromRecord: the Open_vSwitch record's other_config:flow-limit
// bounds the datapath's flow caches, is undone with a failed transaction,
// and comes back with the saved state.
func TestFlowLimitFromRecord(t *testing.T) {
	st, err := OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(datapath.New(), nil, st, nil)
	set := func(v string, fail bool) error {
		return s.Transact(func(tx *Tx) error {
			r := tx.Root()
			if r.OtherConfig == nil {
				r.OtherConfig = map[string]string{}
			}
			r.OtherConfig["flow-limit"] = v
			tx.SetRoot(r)
			if fail {
				return errors.New("a later command failed")
			}
			return nil
		})
	}
	if err := set("5000", false); err != nil {
		t.Fatal(err)
	}
	if n := s.Datapath().FlowLimit(); n != 5000 {
		t.Fatalf("flow limit %d, want 5000", n)
	}
	if err := set("10", true); err == nil {
		t.Fatal("the failing transaction succeeded")
	}
	if n := s.Datapath().FlowLimit(); n != 5000 {
		t.Fatalf("flow limit %d after a rolled back change, want 5000", n)
	}
	if n := restarted(t, st).Datapath().FlowLimit(); n != 5000 {
		t.Fatalf("flow limit %d after a restart, want 5000", n)
	}
	if err := set("bogus", false); err != nil {
		t.Fatal(err)
	}
	if n := s.Datapath().FlowLimit(); n != datapath.DefaultFlowLimit {
		t.Fatalf("flow limit %d for a bad value, want the default", n)
	}
}
