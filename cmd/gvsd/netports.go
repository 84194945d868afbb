package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
	"github.com/gvs-project/gvs/netdev/pmd"
)

// netPorts opens a daemon's kernel-facing ports (tap, internal, system,
// afxdp) and owns the polling threads they share. The threads start with
// the first such port; pmds of them (0: one per two CPUs, at least one).
// Each daemon instance has its own netPorts and closes it on shutdown.
type netPorts struct {
	pmds int
	hp   *hotplugs // system and afxdp devices; nil: opened once, not followed

	mu     sync.Mutex
	poller *pmd.Poller
	err    error // why the threads could not start
	closed bool
}

// newNetPorts returns a netPorts with GVS_PMDS polling threads (unset or
// not a number: the default) whose system and afxdp ports follow their
// interfaces (see hotplugs) once watch has started; log records their
// changes.
func newNetPorts(log *zap.Logger) *netPorts {
	n := 0
	if s := os.Getenv("GVS_PMDS"); s != "" {
		if v, err := strconv.Atoi(s); err == nil {
			n = v
		}
	}
	return &netPorts{pmds: n, hp: newHotplugs(log)}
}

// watch starts following the interfaces of system and afxdp ports.
func (np *netPorts) watch() error {
	if np.hp == nil {
		return errors.New("no hotplug registry")
	}
	return np.hp.watch()
}

// threads returns the polling threads, starting them on first use.
func (np *netPorts) threads() (*pmd.Poller, error) {
	np.mu.Lock()
	defer np.mu.Unlock()
	if np.closed {
		return nil, errors.New("closed")
	}
	if np.poller == nil && np.err == nil {
		np.poller, np.err = pmd.NewPoller(np.pmds, 0)
	}
	return np.poller, np.err
}

// StopWatching stops following interfaces: call it before the ports are
// deleted at shutdown, so no device is reopened meanwhile.
func (np *netPorts) StopWatching() {
	if np.hp != nil {
		np.hp.Close()
	}
}

// Close stops the polling threads (ports still attached stop receiving;
// their devices close when their ports are deleted) and the interface
// watcher. Opening a port after Close fails.
func (np *netPorts) Close() {
	np.StopWatching()
	np.mu.Lock()
	pl := np.poller
	np.poller, np.closed = nil, true
	np.mu.Unlock()
	if pl != nil {
		pl.Close()
	}
}

// open opens a tap, internal, system or afxdp port. The port's name is the
// kernel interface's name, as in Open vSwitch. The error of a system or
// afxdp port is that of its options only: one whose interface cannot be
// opened gets a device without it (its Fault says why; the port is down)
// that opens the interface when it appears.
func (np *netPorts) open(p config.Port) (datapath.Device, error) {
	pl, err := np.threads()
	if err != nil {
		return nil, fmt.Errorf("port %s: polling threads: %w", p.Name, err)
	}
	var dev datapath.BatchDevice
	switch p.Type {
	case "tap":
		dev, err = netdev.OpenTap(p.Name)
	case "internal":
		dev, err = netdev.OpenInternal(p.Name)
	case "system", "afxdp":
		open := func() (datapath.BatchDevice, error) { return netdev.OpenSystem(p.Name) }
		if p.Type == "afxdp" {
			if open, err = afxdpOpener(p); err != nil {
				return nil, err
			}
		}
		if np.hp == nil {
			dev, err = open()
			break
		}
		return np.hp.add(pl, p.Name, open), nil
	default:
		return nil, fmt.Errorf("port type %q is not supported yet", p.Type)
	}
	if err != nil {
		return nil, err
	}
	return pl.Wrap(dev), nil
}

// attachLocal gives bridge b's LOCAL port a host interface named after the
// bridge, as Open vSwitch does for every bridge.
func (np *netPorts) attachLocal(dp *datapath.Datapath, b *datapath.Bridge) error {
	pl, err := np.threads()
	if err != nil {
		return fmt.Errorf("polling threads: %w", err)
	}
	return pl.AttachLocal(dp, b, func() (datapath.BatchDevice, error) {
		return netdev.OpenInternal(b.Name)
	})
}
