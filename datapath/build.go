package datapath

import (
	"fmt"
	"os"

	"github.com/gvs-project/gvs/flowtable"
)

// LoadFlowFile adds the flows of an ovs-ofctl add-flows file to a bridge,
// all or nothing. Port names in the file resolve against the bridge.
func (dp *Datapath) LoadFlowFile(bridge, path string) error {
	b := dp.Bridge(bridge)
	if b == nil {
		return fmt.Errorf("load flows: no bridge %s", bridge)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bridge %s: load flows: %w", bridge, err)
	}
	defer f.Close()
	now := dp.now()
	mods, err := flowtable.ParseFlowsWith(f, flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort, Now: now})
	if err != nil {
		return fmt.Errorf("bridge %s: %s: %w", bridge, path, err)
	}
	if err := b.Flows.Apply(mods, now); err != nil {
		return fmt.Errorf("bridge %s: %s: %w", bridge, path, err)
	}
	return nil
}

// ResolvePort maps a port name used in a flow to its OpenFlow number.
func (b *Bridge) ResolvePort(name string) (flowtable.Port, bool) {
	if p := b.PortByName(name); p != nil {
		return p.OFPort, true
	}
	return 0, false
}

// PortName maps an OpenFlow port number of the bridge to its name.
func (b *Bridge) PortName(n flowtable.Port) (string, bool) {
	if p := b.Port(n); p != nil && p != b.Local {
		return p.Name, true
	}
	return "", false
}
