package datapath

import (
	"github.com/gvs-project/gvs/flowtable"
)

// Limits on a traversal, as Open vSwitch has them: resubmit and patch-port
// recursion at most 64 deep, and at most 4096 resubmits in all. A traversal
// that exceeds either is a loop: the whole packet is dropped.
const (
	maxDepth     = 64
	maxResubmits = 4096
)

// pipeline is what a traversal needs from a bridge's flow tables: lookups
// in one consistent snapshot.
type pipeline interface {
	Lookup(table uint8, k, wc *flowtable.Key) *flowtable.Flow
}

// xlate is the state of one traversal: the key as actions change it, the key
// as the emitted operations leave the frame (base), the wildcards of every
// lookup, and the operations.
type xlate struct {
	key  flowtable.Key
	base flowtable.Key
	wc   flowtable.Key
	ops  []op

	bridge *Bridge
	tables pipeline
	now    int64 // unix ns
	size   int   // frame length, for flow counters

	depth     int // nesting of resubmits and patch ports (trace indentation)
	loops     int // resubmits to the same or an earlier table, and patches: the loop bound
	resubmits int
	outputs   int
	forks     int             // ct(table=N) copies that resume elsewhere
	table     uint8           // the table of the flow whose actions run
	cookie    uint64          // and its cookie (packet-ins report both)
	flow      *flowtable.Flow // the flow whose actions run (fin_timeout lowers its timeouts)
	tpid      uint16
	exit      bool       // stop translating (loop, ct fork)
	drop      DropReason // why the traversal produced nothing, if it did not
	trace     *tracer
	recircs   []recirc
	dryRun    bool // trace only: no counters, no learning
	// exactWC makes wc complete: besides the lookups' masks, every field
	// an action reads or writes and every field an emitted operation
	// rewrites, so that any packet agreeing with this one on wc translates
	// to the same operations (a megaflow, as ofproto-dpif's xlate builds
	// it). Off on the plain per-packet path, which needs no wildcards.
	exactWC bool
	// caching records, besides exact wildcards, what a flow cache entry of
	// this translation needs (flowcache.go).
	caching bool
	cache   cacheDeps
}

// reset prepares x for a new packet.
func (x *xlate) reset(k *flowtable.Key, b *Bridge, size int, now int64) {
	x.key, x.base = *k, *k
	x.wc = flowtable.Key{}
	x.ops = x.ops[:0]
	x.recircs = x.recircs[:0]
	x.bridge, x.tables = b, b.Flows.Snapshot()
	x.now, x.size = now, size
	x.depth, x.loops, x.resubmits, x.outputs, x.forks = 0, 0, 0, 0, 0
	x.tpid = ethTypeVLAN
	x.exit, x.drop = false, DropNone
}

// run translates from table 0 of the current bridge.
func (x *xlate) run(table uint8) {
	x.trace.bridge(x.bridge)
	if x.caching {
		x.cacheBridge()
	}
	if x.exactWC {
		// Every traversal depends on where the packet came from and what
		// it is, as OVS's xlate_wc_init has it.
		x.wc.Set(fInPort, fInPort.FullMask())
		x.wc.Set(fEthType, fEthType.FullMask())
	}
	if !x.fragments() {
		return
	}
	x.lookup(table)
	if x.drop == DropLoop {
		x.ops = x.ops[:0]
		x.outputs = 0
		return
	}
	if x.outputs > 0 || x.forks > 0 {
		x.drop = DropNone
	} else if x.drop == DropNone {
		x.drop = DropNoOutput
	}
}

// lookup looks the key up in table id and runs the matched flow's actions.
func (x *xlate) lookup(id uint8) {
	if f := x.find(id); f != nil {
		x.runFlow(f, id)
	}
}

// find looks the key up in table id and counts the hit.
func (x *xlate) find(id uint8) *flowtable.Flow {
	f := x.tables.Lookup(id, &x.key, &x.wc)
	if x.caching {
		x.cacheLookup(id, f)
	}
	if f == nil {
		x.trace.miss(x.depth, id)
		x.drop = DropTableMiss
		return nil
	}
	if !x.dryRun {
		f.Hit(x.size, x.now)
	}
	x.trace.flow(x.depth, id, f)
	return f
}

// runFlow runs the actions of flow f of table id.
func (x *xlate) runFlow(f *flowtable.Flow, id uint8) {
	if len(f.Actions) == 0 {
		x.drop = DropExplicit
		return
	}
	x.drop = DropNone
	outer, outerFlow := x.cookie, x.flow
	x.cookie, x.flow = f.Cookie, f
	x.actions(f.Actions, id)
	x.cookie, x.flow = outer, outerFlow
}

// recurse runs a resubmit or goto_table from table from into table, with
// in_port set to in (PortInPort = unchanged) for the lookup only, as Open
// vSwitch does (the actions see the real in_port). Only going to the same
// or an earlier table counts against the depth bound, as in OVS; the total
// number of resubmits is bounded too.
func (x *xlate) recurse(in flowtable.Port, table, from uint8) {
	deepens := table <= from
	if deepens && x.loops >= maxDepth || x.resubmits >= maxResubmits {
		x.trace.note(x.depth, "over max translation depth or resubmit count: dropping the packet")
		x.drop, x.exit = DropLoop, true
		return
	}
	x.resubmits++
	if deepens {
		x.loops++
	}
	x.depth++
	old := x.key.Get(fInPort)
	if in != flowtable.PortInPort {
		x.key.Set(fInPort, u64(uint64(in)))
	}
	f := x.find(table)
	x.key.Set(fInPort, old)
	if f != nil {
		x.runFlow(f, table)
	}
	x.depth--
	if deepens {
		x.loops--
	}
}

// inPort returns the port the key says the packet came in on, or nil.
func (x *xlate) inPort() *Port {
	return x.bridge.Port(flowtable.Port(x.key.Get(fInPort).Lo))
}

// controller sends the packet, as the key now describes it, to the
// packet-in hook: op a = in_port, b = table, c = cookie, d = max_len<<8 |
// the reason's index in flowtable.ControllerReasons.
func (x *xlate) controller(c flowtable.Controller) {
	x.cache.off = true // a packet-in depends on whether anyone listens
	if x.bridge.dp == nil || x.bridge.dp.packetIn.Load() == nil {
		x.trace.note(x.depth, "no controller channel: packet dropped")
		x.drop = DropController
		return
	}
	reason := 0
	for i, r := range flowtable.ControllerReasons {
		if r == c.Reason {
			reason = i
		}
	}
	x.commit() // the controller sees the packet as it is here
	x.ops = append(x.ops, op{kind: opController, port: x.bridge.Local, a: x.key.Get(fInPort).Lo,
		b: uint64(x.table), c: x.cookie, d: uint64(c.MaxLen)<<8 | uint64(reason)})
	x.outputs++
}

// output sends the packet as the key now describes it to port n of the
// current bridge, following Open vSwitch's output rules.
func (x *xlate) output(n flowtable.Port) {
	in := flowtable.Port(x.key.Get(fInPort).Lo)
	switch n {
	case flowtable.PortInPort:
		n = in
	case flowtable.PortNormal:
		x.normal()
		return
	case flowtable.PortFlood, flowtable.PortAll:
		x.flood(n == flowtable.PortFlood)
		return
	case flowtable.PortController:
		x.controller(flowtable.Controller{MaxLen: 65535})
		return
	case flowtable.PortTable:
		// Output to TABLE: the packet goes through table 0 again.
		x.recurse(flowtable.PortInPort, 0, 0)
		return
	case flowtable.PortNone:
		return
	default:
		if n == in {
			x.trace.note(x.depth, "skipping output to input port")
			return
		}
	}
	p := x.bridge.Port(n)
	if p == nil {
		x.trace.note(x.depth, "output to a port that does not exist")
		return
	}
	x.outputPort(p)
}

// outputPort emits an output to p, or follows p if it is a patch port.
func (x *xlate) outputPort(p *Port) {
	if p.Type == "patch" {
		x.patch(p)
		return
	}
	up := p.Up.Load()
	if x.caching {
		x.cache.ports = append(x.cache.ports, portDep{p, up})
	}
	if !up || p.Dev == nil && p != p.Bridge.Local {
		if x.trace != nil {
			x.trace.note(x.depth, "output to "+p.Name+": port is down")
		}
		x.drop = DropPortDown
		return
	}
	x.commit()
	x.ops = append(x.ops, op{kind: opOutput, port: p})
	x.outputs++
}

// patch continues the traversal in the peer bridge's table 0, as if the
// packet arrived there on the peer port, then restores this bridge's state.
// Registers, metadata, tunnel and conntrack state do not cross.
func (x *xlate) patch(p *Port) {
	peer := p.Peer()
	if peer == nil || peer.Bridge == nil {
		x.cache.off = true // nothing would say when the peer comes
		if x.trace != nil {
			x.trace.note(x.depth, "patch port "+p.Name+" has no peer")
		}
		x.drop = DropPortDown
		return
	}
	if x.loops >= maxDepth {
		x.drop, x.exit = DropLoop, true
		return
	}
	saved, savedBridge, savedTables := x.key, x.bridge, x.tables
	k := &x.key
	k.Set(fInPort, u64(uint64(peer.OFPort)))
	k.Set(fMetadata, flowtable.Value{})
	k.Set(fTunID, flowtable.Value{})
	for i := flowtable.FieldID(0); i < 16; i++ {
		k.Set(flowtable.FieldByID(flowtable.FieldReg0+i), flowtable.Value{})
	}
	k.ClearCT()
	if !x.dryRun {
		p.Stats.TxPackets.Add(1)
		p.Stats.TxBytes.Add(uint64(x.size))
		peer.Stats.RxPackets.Add(1)
		peer.Stats.RxBytes.Add(uint64(x.size))
	}
	x.bridge, x.tables = peer.Bridge, peer.Bridge.Flows.Snapshot()
	if x.caching {
		x.cache.patches = append(x.cache.patches, p)
		x.cacheBridge()
	}
	x.depth++
	x.loops++
	x.trace.bridge(x.bridge)
	x.lookup(0)
	x.loops--
	x.depth--
	exit := x.exit
	x.key, x.bridge, x.tables = saved, savedBridge, savedTables
	x.exit = exit
	if !exit {
		x.trace.resume(x.depth, savedBridge)
	}
}

// cacheBridge records the current bridge as a dependency of the cache
// entry being built.
func (x *xlate) cacheBridge() {
	snap, ok := x.tables.(*flowtable.Snapshot)
	if !ok {
		x.cache.off = true
		return
	}
	x.cache.bridge(x.bridge, snap)
}

// cacheLookup records a lookup in table id that found f (or nil), and the
// flow's hit.
func (x *xlate) cacheLookup(id uint8, f *flowtable.Flow) {
	snap, ok := x.tables.(*flowtable.Snapshot)
	if !ok {
		x.cache.off = true
		return
	}
	x.cache.lookups = append(x.cache.lookups, lookupRec{snap, id, f != nil})
	if f != nil {
		x.cache.hits = append(x.cache.hits, f)
	}
}
