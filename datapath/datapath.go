package datapath

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Datapath is a set of bridges whose ports have switch-wide unique names,
// as in Open vSwitch. Its methods are safe for concurrent use; packet
// processing happens in Workers.
type Datapath struct {
	// Conntrack runs ct actions; nil drops packets that reach ct().
	Conntrack Conntrack
	// OnBridge, when set, runs for every new bridge before it has ports;
	// the daemon uses it to give LOCAL a host interface.
	OnBridge func(*Bridge)
	// Clock stamps flows added by configuration (nil: time.Now). Offline
	// replay sets it to the time of the first frame, so durations, ages and
	// timeouts all run on the frames' clock.
	Clock func() time.Time
	// NoFlowCache makes workers created afterwards translate every packet
	// (flowcache.go describes the cache).
	NoFlowCache bool

	mu        sync.Mutex
	bridges   atomic.Pointer[[]*Bridge] // sorted by name
	flowLimit atomic.Int64              // SetFlowLimit; 0 = the default
	packetIn  atomic.Pointer[func(PacketIn)]
}

// New returns an empty datapath.
func New() *Datapath {
	dp := &Datapath{}
	dp.bridges.Store(&[]*Bridge{})
	return dp
}

func (dp *Datapath) now() time.Time {
	if dp.Clock != nil {
		return dp.Clock()
	}
	return time.Now()
}

// Bridges returns the bridges sorted by name.
func (dp *Datapath) Bridges() []*Bridge { return *dp.bridges.Load() }

// Bridge returns the named bridge, or nil.
func (dp *Datapath) Bridge(name string) *Bridge {
	for _, b := range dp.Bridges() {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// AddBridge creates a bridge.
func (dp *Datapath) AddBridge(name string, mode FailMode) (*Bridge, error) {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if name == "" {
		return nil, fmt.Errorf("add bridge: empty name")
	}
	if dp.Bridge(name) != nil || dp.portByName(name) != nil {
		return nil, fmt.Errorf("add bridge %s: a bridge or port with that name exists", name)
	}
	b := newBridge(name, mode, dp.now())
	b.dp = dp
	if dp.OnBridge != nil {
		dp.OnBridge(b)
	}
	list := append(append([]*Bridge(nil), dp.Bridges()...), b)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	dp.bridges.Store(&list)
	return b, nil
}

// DelBridge removes a bridge and closes its ports' devices.
func (dp *Datapath) DelBridge(name string) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	b := dp.Bridge(name)
	if b == nil {
		return fmt.Errorf("del bridge %s: no such bridge", name)
	}
	var list []*Bridge
	for _, o := range dp.Bridges() {
		if o != b {
			list = append(list, o)
		}
	}
	dp.bridges.Store(&list)
	for _, p := range b.Ports() {
		dp.detach(p)
	}
	return nil
}

// PortByName finds a port on any bridge.
func (dp *Datapath) PortByName(name string) *Port {
	return dp.portByName(name)
}

func (dp *Datapath) portByName(name string) *Port {
	for _, b := range dp.Bridges() {
		if p := b.PortByName(name); p != nil {
			return p
		}
	}
	return nil
}

// AddPort attaches p to the named bridge. A patch port names its peer in
// peerName; the two ends are linked once both exist and name each other.
func (dp *Datapath) AddPort(bridge string, p *Port, peerName string) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	b := dp.Bridge(bridge)
	if b == nil {
		return fmt.Errorf("add port %s: no bridge %s", p.Name, bridge)
	}
	if dp.portByName(p.Name) != nil || dp.Bridge(p.Name) != nil {
		return fmt.Errorf("add port %s to %s: a port or bridge with that name exists", p.Name, bridge)
	}
	if p.Type == "patch" {
		if peerName == "" {
			return fmt.Errorf("add port %s to %s: patch port needs options:peer", p.Name, bridge)
		}
		p.peerName = peerName
	}
	if bd, ok := p.Dev.(BatchDevice); ok && p.MTU == 0 {
		p.MTU = bd.MTU()
	}
	if err := b.AddPort(p); err != nil {
		return err
	}
	if p.Dev != nil || p.Type == "patch" {
		p.Up.Store(true)
	}
	if a, ok := p.Dev.(Attacher); ok {
		if err := a.Attach(dp, p); err != nil {
			p.Up.Store(false)
			b.RemovePort(p.Name)
			return fmt.Errorf("add port %s to %s: %w", p.Name, bridge, err)
		}
	}
	if p.Type == "patch" {
		if q := dp.portByName(peerName); q != nil && q.Type == "patch" && q.peerName == p.Name {
			p.peer.Store(q)
			q.peer.Store(p)
		}
	}
	return nil
}

// DelPort detaches the named port from whatever bridge has it.
func (dp *Datapath) DelPort(name string) error {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	p := dp.portByName(name)
	if p == nil || p == p.Bridge.Local {
		return fmt.Errorf("del port %s: no such port", name)
	}
	if _, err := p.Bridge.RemovePort(name); err != nil {
		return err
	}
	dp.detach(p)
	return nil
}

func (dp *Datapath) detach(p *Port) {
	p.Up.Store(false)
	if q := p.peer.Swap(nil); q != nil {
		q.peer.Store(nil)
	}
	if p.Dev != nil {
		p.Dev.Close()
	}
}
