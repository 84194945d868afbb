package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestRestart kills gvsd with SIGKILL and starts it again on the same
// state directory: bridges, ports and flows come back, and the same frames
// are forwarded the same way, without anyone reloading flows.
func TestRestart(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	setupExampleA(t, d)
	injectExampleA(t, d)
	show := d.ctl("show")
	flows := map[string]string{}
	for _, br := range []string{"br-int", "br-vlan"} {
		flows[br] = d.ctl("dump-flows", br, "--no-stats")
	}

	if err := d.stop(syscall.SIGKILL); err == nil {
		t.Fatal("gvsd exited 0 after SIGKILL")
	}
	// SIGKILL leaves the socket file behind: the new gvsd must replace it.
	if _, err := os.Stat(d.sock); err != nil {
		t.Fatalf("socket after SIGKILL: %v", err)
	}
	d.start()

	if got := d.ctl("show"); got != show {
		t.Errorf("show after restart:\n%s\nbefore:\n%s", got, show)
	}
	for br, want := range flows {
		if got := d.ctl("dump-flows", br, "--no-stats"); got != want {
			t.Errorf("dump-flows %s after restart:\n%s\nbefore:\n%s", br, got, want)
		}
	}
	// The counters start from zero, as after an ovs-vswitchd restart.
	if got := d.ctl("dump-flows", "br-int"); strings.Contains(got, "n_packets=1") || !strings.Contains(got, "n_packets=0") {
		t.Errorf("flow counters after restart:\n%s", got)
	}
	// The same frames give the same output (the MAC table starts empty,
	// as it did the first time).
	injectExampleA(t, d)
}
