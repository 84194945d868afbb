package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestFlowTimeouts checks that the daemon expires flows as ovs-vswitchd
// does: a hard_timeout flow goes after its timeout while a permanent one
// stays.
func TestFlowTimeouts(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-flow", "br0", "priority=5,hard_timeout=1,in_port=1,actions=drop")
	d.ctl("add-flow", "br0", "priority=6,in_port=2,actions=drop")
	if flows := d.ctl("dump-flows", "br0"); !strings.Contains(flows, "hard_timeout=1") {
		t.Fatalf("the timed flow is not there:\n%s", flows)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		flows := d.ctl("dump-flows", "br0")
		if !strings.Contains(flows, "hard_timeout=1") {
			if !strings.Contains(flows, "priority=6,in_port=2") {
				t.Fatalf("the permanent flow went too:\n%s", flows)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a hard_timeout=1 flow is still there after 10 s:\n%s", flows)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
