package main

import (
	"strings"
	"testing"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// TestSortKeys: --sort/--rsort keys parse as ovs-ofctl's do, and flows
// sort by them: the first key that differs decides, a flow without the
// field comes last in either direction, ties keep dump order.
func TestSortKeys(t *testing.T) {
	flows := []struct{ match string }{
		{"priority=10,in_port=1"},
		{"priority=30,tcp,tp_dst=80"},
		{"priority=30,tcp,tp_dst=22"},
		{"priority=20,ip,nw_src=10.0.0.0/8"},
		{"priority=20,ip,nw_src=9.1.2.3"},
		{"priority=0"},
	}
	cases := []struct {
		flags []string // name=value, with r prefix for --rsort
		want  string   // the order, by index in flows
	}{
		{[]string{"priority"}, "5 0 3 4 1 2"},
		{[]string{"rpriority"}, "1 2 3 4 0 5"},
		{[]string{"tp_dst"}, "2 1 0 3 4 5"},
		{[]string{"rtp_dst"}, "1 2 0 3 4 5"},
		{[]string{"nw_src"}, "4 3 0 1 2 5"},
		{[]string{"rpriority", "tp_dst"}, "2 1 3 4 0 5"},
		{[]string{"tcp_dst"}, "2 1 0 3 4 5"}, // a field's other name
	}
	for _, c := range cases {
		var keys []sortKey
		for _, f := range c.flags {
			name, desc := strings.CutPrefix(f, "r")
			if err := (sortFlag{keys: &keys, desc: desc}).Set(name); err != nil {
				t.Fatalf("%v: %v", c.flags, err)
			}
		}
		var sfs []sortedFlow
		for i, f := range flows {
			fs := &ctlpb.FlowStats{Match: f.match, Priority: uint32(priorityOf(f.match))}
			sf, err := newSortedFlow(string(rune('0'+i)), fs, keys, false)
			if err != nil {
				t.Fatal(err)
			}
			sfs = append(sfs, sf)
		}
		sortFlows(sfs, keys)
		var got []string
		for _, f := range sfs {
			got = append(got, f.line)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%v: order %s, want %s", c.flags, g, c.want)
		}
	}
	for _, bad := range []string{"no_such_field", "actions"} {
		var keys []sortKey
		if err := (sortFlag{keys: &keys}).Set(bad); err == nil {
			t.Errorf("--sort=%s accepted", bad)
		}
	}
}

// priorityOf reads the priority= of a match, as gvsd reports it.
func priorityOf(match string) int {
	n := 0
	if v, ok := strings.CutPrefix(strings.Split(match, ",")[0], "priority="); ok {
		for _, c := range v {
			n = n*10 + int(c-'0')
		}
	}
	return n
}
