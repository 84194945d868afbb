package ovsdb

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/vswitch"
)

// fakeSwitch is a Switch in memory that records the calls it gets.
type fakeSwitch struct {
	bridges map[string]bool
	ports   map[string]fakePort
	calls   []string
	refuse  map[string]bool // port names AddPort refuses
}

type fakePort struct {
	bridge string
	pc     config.Port
}

func newFake() *fakeSwitch {
	return &fakeSwitch{bridges: map[string]bool{}, ports: map[string]fakePort{}, refuse: map[string]bool{}}
}

func (f *fakeSwitch) Bridges() []vswitch.BridgeInfo {
	var out []vswitch.BridgeInfo
	for b := range f.bridges {
		bi := vswitch.BridgeInfo{Name: b}
		for _, p := range f.ports {
			if p.bridge == b {
				bi.Ports = append(bi.Ports, vswitch.PortInfo{Bridge: b, Name: p.pc.Name, OFPort: p.pc.OFPort, Kind: p.pc.Type, Tag: p.pc.Tag, Trunks: p.pc.Trunks, VLANMode: p.pc.VLANMode, Options: p.pc.Options, LinkUp: true})
			}
		}
		out = append(out, bi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (f *fakeSwitch) AddBridge(name, failMode string, mayExist bool) error {
	f.calls = append(f.calls, "add-br "+name)
	f.bridges[name] = true
	return nil
}

func (f *fakeSwitch) DelBridge(name string, ifExists bool) error {
	f.calls = append(f.calls, "del-br "+name)
	delete(f.bridges, name)
	for n, p := range f.ports {
		if p.bridge == name {
			delete(f.ports, n)
		}
	}
	return nil
}

func (f *fakeSwitch) AddPort(bridge string, pc config.Port, mayExist bool) (uint16, error) {
	f.calls = append(f.calls, "add-port "+bridge+" "+pc.Name)
	if f.refuse[pc.Name] {
		return 0, errors.New("refused")
	}
	if !f.bridges[bridge] {
		return 0, fmt.Errorf("no bridge named %s", bridge)
	}
	if pc.OFPort == 0 {
		used := map[uint16]bool{}
		for _, p := range f.ports {
			used[p.pc.OFPort] = true
		}
		for pc.OFPort = 1; used[pc.OFPort]; pc.OFPort++ {
		}
	}
	f.ports[pc.Name] = fakePort{bridge, pc}
	return pc.OFPort, nil
}

func (f *fakeSwitch) DelPort(bridge, name string, ifExists bool) error {
	f.calls = append(f.calls, "del-port "+name)
	delete(f.ports, name)
	return nil
}

func (f *fakeSwitch) SetPort(name string, c vswitch.PortChange) error {
	f.calls = append(f.calls, "set-port "+name)
	p := f.ports[name]
	switch {
	case c.ClearTag:
		p.pc.Tag = nil
	case c.Tag != nil:
		p.pc.Tag = c.Tag
	}
	f.ports[name] = p
	return nil
}

func (f *fakeSwitch) PortStats(bridge, port string) ([]vswitch.PortStats, error) {
	return nil, nil
}

func (f *fakeSwitch) SetBridge(rec vswitch.BridgeRecord) error {
	f.calls = append(f.calls, "set-br "+rec.Name+" "+rec.FailMode)
	return nil
}
