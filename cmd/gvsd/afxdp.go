package main

import (
	"fmt"
	"strconv"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
)

// afxdpOpener returns the function that opens an afxdp port's device, or
// the error of its options. Options: queues=N (RX queues served from queue
// 0; default all), xdp-mode=native|generic|best (OVS's spelling; default
// best: native, else generic).
func afxdpOpener(p config.Port) (func() (datapath.BatchDevice, error), error) {
	var cfg netdev.AFXDPConfig
	if s := p.Options["queues"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("port %s: options:queues=%q: want a positive number", p.Name, s)
		}
		cfg.Queues = n
	}
	switch m := p.Options["xdp-mode"]; m {
	case "", "best", "best-effort":
	case "native", "native-with-zerocopy":
		cfg.Mode = netdev.XDPNative
	case "generic":
		cfg.Mode = netdev.XDPGeneric
	default:
		return nil, fmt.Errorf("port %s: options:xdp-mode=%q: want native, generic or best", p.Name, m)
	}
	return func() (datapath.BatchDevice, error) { return netdev.OpenAFXDP(p.Name, cfg) }, nil
}
