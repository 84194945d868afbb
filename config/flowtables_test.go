package config

import (
	"strings"
	"testing"
)

// TestFlowTables: a bridge's flow_tables parse as Open vSwitch's Flow_Table
// columns, and a bad one is refused with where it went wrong.
func TestFlowTables(t *testing.T) {
	c, err := Parse([]byte(`
bridges:
  - name: br0
    flow_tables:
      - {table: 0, flow_limit: 1000}
      - {table: 10, flow_limit: 50, overflow_policy: evict}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Bridges[0].FlowTables
	want := []FlowTable{{Table: 0, FlowLimit: 1000}, {Table: 10, FlowLimit: 50, OverflowPolicy: "evict"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("flow_tables %+v, want %+v", got, want)
	}
	for _, c := range []struct{ text, msg string }{
		{"{table: 255, flow_limit: 1}", "table"},
		{"{table: 1, flow_limit: -1}", "flow_limit"},
		{"{table: 1, flow_limit: 5, overflow_policy: drop}", "want refuse or evict"},
		{"{table: 1, flow_limt: 5}", `unknown key "flow_limt"`},
	} {
		_, err := Parse([]byte("bridges:\n  - name: br0\n    flow_tables:\n      - "+c.text+"\n"), "")
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), ":4:") {
			t.Errorf("%s: %v, want an error at line 4 mentioning %q", c.text, err, c.msg)
		}
	}
	if _, err := Parse([]byte("bridges:\n  - name: br0\n    flow_tables: [{table: 1, flow_limit: 1}, {table: 1, flow_limit: 2}]\n"), ""); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate table: %v", err)
	}
}
