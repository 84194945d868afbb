package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
	"github.com/gvs-project/gvs/netdev/pmd"
)

// TestHotplugsResync drives the registry without its watcher: a device
// whose veth is deleted while events were lost is taken down by resync
// (logged once), a link event of the re-created veth reopens it, a
// missing interface is registered down with one warning, and closing a
// device takes it out of the registry.
func TestHotplugsResync(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root (veth, AF_PACKET); CI=true: this test must run")
		}
		t.Skip("needs root (veth, AF_PACKET); CI runs it")
	}
	core, logs := observer.New(zap.InfoLevel)
	hp := newHotplugs(zap.New(core))
	pl, err := pmd.NewPoller(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	name := fmt.Sprintf("gvh%d", os.Getpid()%100000)
	veth := func() {
		t.Helper()
		if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
			t.Fatalf("ip link add: %v\n%s", err, out)
		}
	}
	veth()
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
	open := func() (datapath.BatchDevice, error) { return netdev.OpenSystem(name) }
	d := hp.add(pl, name, open)
	defer d.Close()
	if d.Fault() != nil || d.Index() == 0 {
		t.Fatalf("open on an existing veth: fault %v index %d", d.Fault(), d.Index())
	}
	if err := exec.Command("ip", "link", "del", name).Run(); err != nil {
		t.Fatal(err)
	}
	hp.resync()
	var oe *netdev.OpenError
	if err := d.Fault(); !errors.As(err, &oe) || !oe.Missing() {
		t.Fatalf("after resync of a deleted veth: fault %v", err)
	}
	if n := logs.FilterMessage("port is down: its device vanished").Len(); n != 1 {
		t.Errorf("vanished device logged %d times, want once", n)
	}
	hp.resync() // nothing more to say
	if n := logs.FilterMessage("port is down: its device vanished").Len(); n != 1 {
		t.Errorf("second resync logged again (%d)", n)
	}
	veth()
	index, running, err := netdev.LinkState(name)
	if err != nil {
		t.Fatal(err)
	}
	hp.handle(netdev.LinkEvent{Name: name, Index: index, Running: running})
	if d.Fault() != nil || d.Index() != index {
		t.Fatalf("after the re-created veth's event: fault %v index %d, want %d", d.Fault(), d.Index(), index)
	}

	gone := hp.add(pl, name+"x", func() (datapath.BatchDevice, error) { return netdev.OpenSystem(name + "x") })
	if gone.Fault() == nil || logs.FilterMessage("port device cannot be opened").Len() != 1 {
		t.Errorf("missing interface: fault %v, logs %v", gone.Fault(), logs.All())
	}
	gone.Close()
	for _, x := range hp.all() {
		if x == gone {
			t.Error("a closed device stays registered")
		}
	}
}
