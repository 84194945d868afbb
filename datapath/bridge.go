package datapath

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gvs-project/gvs/datapath/fdb"
	"github.com/gvs-project/gvs/flowtable"
)

// FailMode is what a bridge does without a controller, as OVS's fail_mode.
type FailMode uint8

const (
	// FailStandalone bridges start with "priority=0 actions=NORMAL" in table
	// 0, as Open vSwitch installs for a bridge without a controller.
	FailStandalone FailMode = iota
	// FailSecure bridges start with empty tables: everything drops.
	FailSecure
)

// ParseFailMode reads "secure" or "standalone" ("" = standalone).
func ParseFailMode(s string) (FailMode, error) {
	switch s {
	case "", "standalone":
		return FailStandalone, nil
	case "secure":
		return FailSecure, nil
	}
	return 0, fmt.Errorf("unknown fail_mode %q (want secure or standalone)", s)
}

func (m FailMode) String() string { return [...]string{"standalone", "secure"}[m] }

// portSet is an immutable view of a bridge's ports.
type portSet struct {
	low    []*Port // by OpenFlow number, for numbers below len(low)
	byNo   map[flowtable.Port]*Port
	byName map[string]*Port
	list   []*Port // sorted by OFPort; LOCAL last
}

// Bridge is one switch: ports, flow tables and a MAC learning table.
type Bridge struct {
	Name     string
	FailMode FailMode
	Flows    *flowtable.Tables
	FDB      *fdb.Table
	Local    *Port // the bridge's own port, OpenFlow port LOCAL

	dp *Datapath // the datapath it was added to; nil for a NewBridge

	mu    sync.Mutex // serialises port changes
	ports atomic.Pointer[portSet]
	drops [numDropReasons]atomic.Uint64
	frags atomic.Uint32 // FragMode
	// cfgGen changes with anything translation reads of the bridge other
	// than its flows and MAC table: its ports, their VLANs, its fragment
	// handling. Flow caches compare it.
	cfgGen atomic.Uint64
	// Malformed counts frames Open vSwitch counts as malformed: an IPv4 or
	// IPv6 header shorter than its minimum or with lengths that do not fit
	// (see parse). They are parsed as far as valid and forwarded.
	Malformed atomic.Uint64
}

// NewBridge creates a bridge with only its LOCAL port. A standalone bridge
// gets the NORMAL flow Open vSwitch installs.
func NewBridge(name string, mode FailMode) *Bridge { return newBridge(name, mode, time.Now()) }

func newBridge(name string, mode FailMode, now time.Time) *Bridge {
	b := &Bridge{Name: name, FailMode: mode, Flows: flowtable.NewTables(), FDB: fdb.New(0, 0)}
	b.Local = &Port{Name: name, OFPort: flowtable.PortLocal, Type: "internal", Bridge: b}
	b.Local.Up.Store(true)
	b.Local.publishVLAN()
	b.publish([]*Port{b.Local})
	if mode == FailStandalone {
		f := &flowtable.Flow{Priority: 0, Actions: []flowtable.Action{flowtable.Output{Port: flowtable.PortNormal}}}
		if err := b.Flows.Apply([]*flowtable.FlowMod{{Command: flowtable.CmdAdd, Flow: f}}, now); err != nil {
			panic("datapath: default NORMAL flow rejected: " + err.Error())
		}
	}
	return b
}

func (b *Bridge) publish(list []*Port) {
	sort.Slice(list, func(i, j int) bool { return list[i].OFPort < list[j].OFPort })
	s := &portSet{byNo: map[flowtable.Port]*Port{}, byName: map[string]*Port{}, list: list}
	for _, p := range list {
		s.byNo[p.OFPort] = p
		s.byName[p.Name] = p
		if p.OFPort < lowPorts {
			if int(p.OFPort) >= len(s.low) {
				s.low = append(s.low, make([]*Port, int(p.OFPort)+1-len(s.low))...)
			}
			s.low[p.OFPort] = p
		}
	}
	b.ports.Store(s)
	b.cfgGen.Add(1)
}

// lowPorts bounds the slice that finds ports by number without hashing.
const lowPorts = 4096

// Port returns the port with OpenFlow number n, or nil.
func (b *Bridge) Port(n flowtable.Port) *Port {
	s := b.ports.Load()
	if int(n) < len(s.low) {
		return s.low[n]
	}
	return s.byNo[n]
}

// PortByName returns the port called name, or nil.
func (b *Bridge) PortByName(name string) *Port { return b.ports.Load().byName[name] }

// Ports returns the bridge's ports sorted by OpenFlow number (LOCAL last).
func (b *Bridge) Ports() []*Port { return b.ports.Load().list }

// AddPort attaches p. If p.OFPort is 0 the lowest free number is chosen, as
// Open vSwitch does. The port's Bridge is set.
func (b *Bridge) AddPort(p *Port) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.ports.Load()
	if _, dup := cur.byName[p.Name]; dup {
		return fmt.Errorf("bridge %s: port %q already exists", b.Name, p.Name)
	}
	if p.OFPort == 0 {
		for n := flowtable.Port(1); n < flowtable.PortMax; n++ {
			if cur.byNo[n] == nil {
				p.OFPort = n
				break
			}
		}
	}
	if p.OFPort >= flowtable.PortMax {
		return fmt.Errorf("bridge %s: port %q: ofport %d out of range 1..%d", b.Name, p.Name, p.OFPort, flowtable.PortMax-1)
	}
	if q := cur.byNo[p.OFPort]; q != nil {
		return fmt.Errorf("bridge %s: port %q: ofport %d is taken by %q", b.Name, p.Name, p.OFPort, q.Name)
	}
	p.Bridge = b
	p.publishVLAN()
	list := append(append([]*Port(nil), cur.list...), p)
	b.publish(list)
	return nil
}

// RemovePort detaches the named port and forgets what NORMAL learned on it.
func (b *Bridge) RemovePort(name string) (*Port, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur := b.ports.Load()
	p := cur.byName[name]
	if p == nil || p == b.Local {
		return nil, fmt.Errorf("bridge %s: no port %q", b.Name, name)
	}
	list := make([]*Port, 0, len(cur.list)-1)
	for _, q := range cur.list {
		if q != p {
			list = append(list, q)
		}
	}
	b.publish(list)
	b.FDB.FlushPort(uint32(p.OFPort))
	return p, nil
}

// Drops returns the bridge's drop counter for r.
func (b *Bridge) Drops(r DropReason) uint64 { return b.drops[r].Load() }

func (b *Bridge) countDrop(r DropReason) { b.drops[r].Add(1) }
