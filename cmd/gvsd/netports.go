package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

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

	mu     sync.Mutex
	poller *pmd.Poller
	err    error // why the threads could not start
	closed bool
}

// newNetPorts returns a netPorts with GVS_PMDS polling threads (unset or
// not a number: the default).
func newNetPorts() *netPorts {
	n := 0
	if s := os.Getenv("GVS_PMDS"); s != "" {
		if v, err := strconv.Atoi(s); err == nil {
			n = v
		}
	}
	return &netPorts{pmds: n}
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

// Close stops the polling threads (ports still attached stop receiving;
// their devices close when their ports are deleted). Opening a port after
// Close fails.
func (np *netPorts) Close() {
	np.mu.Lock()
	pl := np.poller
	np.poller, np.closed = nil, true
	np.mu.Unlock()
	if pl != nil {
		pl.Close()
	}
}

// open opens a tap, internal, system or afxdp port. The port's name is the
// kernel interface's name, as in Open vSwitch.
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
	case "system":
		dev, err = netdev.OpenSystem(p.Name)
	case "afxdp":
		dev, err = openAFXDP(p)
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
