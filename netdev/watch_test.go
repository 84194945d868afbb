package netdev_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gvs-project/gvs/netdev"
)

// TestOpenMissing: opening a system or afxdp port on an interface that
// does not exist is an *OpenError that says so, worded as Open vSwitch's
// Interface error column.
func TestOpenMissing(t *testing.T) {
	name := fmt.Sprintf("gvsnone%d", os.Getpid()%100000)
	want := "could not open network device " + name + " (No such device)"
	for _, c := range []struct {
		typ  string
		open func() error
	}{
		{"system", func() error { _, err := netdev.OpenSystem(name); return err }},
		{"afxdp", func() error { _, err := netdev.OpenAFXDP(name, netdev.AFXDPConfig{}); return err }},
	} {
		err := c.open()
		var oe *netdev.OpenError
		if !errors.As(err, &oe) || !oe.Missing() || err.Error() != want {
			t.Errorf("%s: %v (%T), want %q with Missing", c.typ, err, err, want)
		}
	}
	if _, _, err := netdev.LinkState(name); !netdev.IsNoDevice(err) {
		t.Errorf("LinkState of a missing interface: %v", err)
	}
}

// TestWatchLinks: the watcher reports a veth's creation with its index, its
// link coming up, and its deletion, and Close ends it.
func TestWatchLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to create veths (CI=true: this test must run)")
		}
		t.Skip("needs root to create veths; CI runs it")
	}
	a, b := fmt.Sprintf("gvw%da", os.Getpid()%100000), fmt.Sprintf("gvw%db", os.Getpid()%100000)
	events := make(chan netdev.LinkEvent, 1024)
	w, err := netdev.WatchLinks(func(ev netdev.LinkEvent) {
		if ev.Name == a {
			events <- ev
		}
	}, netdev.WatchOptions{OnError: func(err error) { t.Logf("watcher: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}
	await := func(what string, ok func(netdev.LinkEvent) bool) netdev.LinkEvent {
		t.Helper()
		timeout := time.After(2 * time.Second)
		for {
			select {
			case ev := <-events:
				if ok(ev) {
					return ev
				}
			case <-timeout:
				t.Fatalf("no event within 2 s: %s", what)
			}
		}
	}
	ip("link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { exec.Command("ip", "link", "del", a).Run() })
	created := await("created", func(ev netdev.LinkEvent) bool { return !ev.Gone })
	if index, _, err := netdev.LinkState(a); err != nil || index != created.Index {
		t.Errorf("LinkState: index %d, %v; the event said %d", index, err, created.Index)
	}
	ip("link", "set", a, "up")
	ip("link", "set", b, "up")
	await("running", func(ev netdev.LinkEvent) bool { return ev.Running && ev.Index == created.Index })
	ip("link", "del", a)
	await("deleted", func(ev netdev.LinkEvent) bool { return ev.Gone && ev.Index == created.Index })
	done := make(chan struct{})
	go func() { w.Close(); w.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return")
	}
}
