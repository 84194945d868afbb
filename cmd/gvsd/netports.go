package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
)

// The daemon's kernel-facing ports share one set of polling threads,
// started with the first such port. GVS_PMDS sets how many (default: one
// per two CPUs, at least one).
var (
	pollerOnce sync.Once
	poller     *netdev.Poller
	pollerErr  error
)

func sharedPoller() (*netdev.Poller, error) {
	pollerOnce.Do(func() {
		n := 0
		if s := os.Getenv("GVS_PMDS"); s != "" {
			if v, err := strconv.Atoi(s); err == nil {
				n = v
			}
		}
		poller, pollerErr = netdev.NewPoller(n, 0)
	})
	return poller, pollerErr
}

// openNetdev opens a tap, internal, system or afxdp port. The port's name
// is the kernel interface's name, as in Open vSwitch.
func openNetdev(p config.Port) (datapath.Device, error) {
	pl, err := sharedPoller()
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
func attachLocal(dp *datapath.Datapath, b *datapath.Bridge) error {
	pl, err := sharedPoller()
	if err != nil {
		return fmt.Errorf("polling threads: %w", err)
	}
	return pl.AttachLocal(dp, b)
}
