package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiffFlowsFiles: diff-flows of two files prints OVS's -/+ lines:
// keyed by table, priority and match; cookie, timeouts and actions make
// a changed flow; comments, blank lines and spelling do not count.
func TestDiffFlowsFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, a, b string
		want       string // sorted lines; "" = no difference
	}{
		{"same, spelled otherwise", "priority=10,in_port=1,actions=output:2\n", "# comment\n\n in_port=1, priority=10 actions=output:2\n", ""},
		{"a saved dump", "priority=10,in_port=1,actions=output:2 # trailing comment\n",
			"NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=1.5s, table=0, n_packets=3, n_bytes=180, idle_age=1, priority=10,in_port=1 actions=output:2\n", ""},
		{"actions", "priority=10,ip,actions=drop\n", "priority=10,ip,actions=normal\n",
			"+priority=10,ip actions=NORMAL\n-priority=10,ip actions=drop"},
		{"cookie and table", "table=3,cookie=0x1,priority=5,actions=drop\n", "table=3,cookie=0x2,priority=5,actions=drop\n",
			"+table=3 priority=5 cookie=0x2 actions=drop\n-table=3 priority=5 cookie=0x1 actions=drop"},
		{"timeouts", "idle_timeout=5,priority=5,actions=drop\n", "hard_timeout=9,priority=5,actions=drop\n",
			"+priority=5 hard_timeout=9 actions=drop\n-priority=5 idle_timeout=5 actions=drop"},
		{"added and removed", "priority=1,arp,actions=drop\n", "priority=2,arp,actions=drop\n",
			"+priority=2,arp actions=drop\n-priority=1,arp actions=drop"},
	}
	for _, c := range cases {
		var out strings.Builder
		cl := &cli{}
		differ, err := cl.diffFlows(t.Context(), write("a.flows", c.a), write("b.flows", c.b), &out)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		slices.Sort(lines)
		got := strings.Join(lines, "\n")
		if differ != (c.want != "") || got != c.want {
			t.Errorf("%s: differ=%v\n%s\nwant\n%s", c.name, differ, got, c.want)
		}
	}
	// A bad line is an error naming the file and line, not a difference.
	var out strings.Builder
	_, err := (&cli{}).diffFlows(t.Context(), write("a.flows", "priority=1,actions=drop\n"), write("bad.flows", "\npriority=1,actions=bogus\n"), &out)
	if err == nil || !strings.Contains(err.Error(), "bad.flows: line 2") {
		t.Errorf("bad file: %v", err)
	}
}
