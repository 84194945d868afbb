package vswitch

import (
	"errors"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// TestTableLimitsFromConfig: a bridge's flow_tables limit what add-flows
// may put in a table, the refusal says why and changes nothing, and the
// limits survive a restart through the state file.
func TestTableLimitsFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte("bridges:\n  - name: br0\n    fail_mode: secure\n    flow_tables: [{table: 3, flow_limit: 2}]\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(datapath.New(), nil, st, nil)
	if err := s.LoadConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"table=3,priority=1,actions=drop", "table=3,priority=2,actions=drop"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.ModFlows("br0", flowtable.CmdAdd, []string{"table=3,priority=3,actions=drop", "table=4,actions=drop"})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "limit of 2 flows") {
		t.Fatalf("third flow in table 3: %v", err)
	}
	b, _ := s.Bridge("br0")
	if n := b.Flows.Len(); n != 2 {
		t.Fatalf("%d flows after a refused batch, want 2", n)
	}
	if err := s.SaveState(); err != nil {
		t.Fatal(err)
	}
	rb, _ := restarted(t, st).Bridge("br0")
	if l := rb.Flows.Limit(3); l != (flowtable.TableLimit{Max: 2}) {
		t.Fatalf("restored limit %+v", l)
	}
}
