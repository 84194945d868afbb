package vswitch

import (
	"testing"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// TestOutPortController: dump-flows and del-flows select the same flows
// with out_port=CONTROLLER, controller actions included, as Open vSwitch
// 3.1 does (dump: priorities 1, 2, 3; del leaves 4 and 5).
func TestOutPortController(t *testing.T) {
	s := New(datapath.New(), nil, nil, nil)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"priority=1,actions=controller", "priority=2,actions=output:CONTROLLER",
		"priority=3,actions=controller(reason=no_match)", "priority=4,actions=drop", "priority=5,actions=output:3"}); err != nil {
		t.Fatal(err)
	}
	prios := func(match string) (out []uint16) {
		_, fs, err := s.DumpFlows("br0", match)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out = append(out, f.Priority)
		}
		return out
	}
	if got := prios("out_port=CONTROLLER"); len(got) != 3 {
		t.Fatalf("dump out_port=CONTROLLER: priorities %v, want 1, 2, 3", got)
	}
	if _, err := s.ModFlows("br0", flowtable.CmdDelete, []string{"out_port=CONTROLLER"}); err != nil {
		t.Fatal(err)
	}
	if got := prios(""); len(got) != 2 {
		t.Fatalf("after del out_port=CONTROLLER: priorities %v, want 4, 5", got)
	}
}
