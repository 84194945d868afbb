package datapath

import (
	"slices"
	"unsafe"

	"github.com/gvs-project/gvs/datapath/fdb"
	"github.com/gvs-project/gvs/flowtable"
)

// A flow cache remembers translations, as Open vSwitch's datapath flows
// (megaflows) and exact-match cache do: the operations one traversal
// produced, keyed by the packet bits it depended on (the exact wildcards,
// xlate.exactWC) and every metadata bit, together with the side effects to
// replay (flow and table counters, NORMAL's MAC learning, patch port
// counters) and what the result depends on besides the packet (the flow
// tables' snapshots, MAC tables' and bridges' generations, ports' link
// states, MAC entries' ages). An entry whose dependencies changed is never
// used; the packet is translated again. Each Worker has its own cache:
// lookups take no lock.
//
// Translations that learn a new flow or send packet-ins are not cached,
// nor are traced ones; one whose learn() found its flow already there is,
// and a hit refreshes that flow as learn() would.

const (
	// DefaultFlowLimit is how many translations a worker caches unless
	// Datapath.SetFlowLimit says otherwise; a full cache starts again
	// empty.
	DefaultFlowLimit = 1 << 16
	emcSlots         = 1 << 12 // exact-match slots, direct mapped
)

// SetFlowLimit bounds each worker's flow cache to n entries (n <= 0: the
// default), as Open vSwitch's other_config:flow-limit bounds its datapath
// flows. A worker already over it starts again empty at its next insert.
func (dp *Datapath) SetFlowLimit(n int) {
	if n <= 0 {
		n = DefaultFlowLimit
	}
	dp.flowLimit.Store(int64(n))
}

// FlowLimit returns the bound SetFlowLimit set.
func (dp *Datapath) FlowLimit() int {
	if n := dp.flowLimit.Load(); n > 0 {
		return int(n)
	}
	return DefaultFlowLimit
}

type flowCache struct {
	emc   [emcSlots]emcSlot
	masks []*cacheMask
	n     int
	// Hits counts lookups a valid entry answered, Misses the others (the
	// worker's own counters, as OVS's pmd-stats-show).
	hits, misses uint64
}

// emcSlot remembers the entry of one exact packet (bridge, table, key):
// the exact-match front cache, as OVS's EMC.
type emcSlot struct {
	b     *Bridge
	table uint8
	key   flowtable.Key
	e     *cacheEntry
}

// emcHash hashes a packet's key in four independent lanes, so the
// multiplications overlap.
func emcHash(b *Bridge, table uint8, k *flowtable.Key) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := [4]uint64{uint64(uintptr(unsafe.Pointer(b))), uint64(table), 1, 2}
	i := 0
	for ; i+4 <= len(k); i += 4 {
		h[0] = (h[0] ^ k[i]) * m
		h[1] = (h[1] ^ k[i+1]) * m
		h[2] = (h[2] ^ k[i+2]) * m
		h[3] = (h[3] ^ k[i+3]) * m
	}
	for ; i < len(k); i++ {
		h[0] = (h[0] ^ k[i]) * m
	}
	x := h[0] ^ h[1]<<1 ^ h[2]<<2 ^ h[3]<<3
	return x ^ x>>29
}

func (c *flowCache) slot(b *Bridge, table uint8, k *flowtable.Key) *emcSlot {
	return &c.emc[emcHash(b, table, k)&(emcSlots-1)]
}

// cacheMask holds the entries of one bridge, start table and mask.
type cacheMask struct {
	b       *Bridge
	table   uint8
	mask    flowtable.Key
	entries map[flowtable.Key]*cacheEntry
}

type cacheEntry struct {
	pass    flowtable.Key // header bits the translation left alone: recirculation keys take them from the packet
	ops     []op
	recircs []recirc
	drop    DropReason
	deps    cacheDeps
}

// cacheDeps is what one translation recorded for its cache entry.
type cacheDeps struct {
	off     bool // not cacheable
	bridges []bridgeDep
	ports   []portDep
	hits    []*flowtable.Flow
	lookups []lookupRec
	learns  []macLearn
	// refreshes are learned flows that learn() found unchanged: a hit
	// restarts their hard timeouts, as learning them again does.
	refreshes []*flowtable.Flow
	patches   []*Port // patch ports crossed: their and their peers' counters
	until     int64   // 0, or when a MAC entry the result used ages out
}

type bridgeDep struct {
	b              *Bridge
	snap           *flowtable.Snapshot
	fdbGen, cfgGen uint64
}

type portDep struct {
	p  *Port
	up bool
}

type lookupRec struct {
	snap    *flowtable.Snapshot
	table   uint8
	matched bool
}

type macLearn struct {
	fdb  *fdb.Table
	vlan uint16
	mac  [6]byte
	port uint32
}

// clone copies d for an entry to keep; reset then reuses d's slices.
func (d *cacheDeps) clone() cacheDeps {
	c := *d
	c.bridges, c.ports, c.hits = slices.Clone(d.bridges), slices.Clone(d.ports), slices.Clone(d.hits)
	c.lookups, c.learns = slices.Clone(d.lookups), slices.Clone(d.learns)
	c.refreshes, c.patches = slices.Clone(d.refreshes), slices.Clone(d.patches)
	return c
}

func (d *cacheDeps) reset() {
	*d = cacheDeps{bridges: d.bridges[:0], ports: d.ports[:0], hits: d.hits[:0],
		lookups: d.lookups[:0], learns: d.learns[:0], refreshes: d.refreshes[:0], patches: d.patches[:0]}
}

// bridge records that the translation reads b: its tables as snap, its MAC
// table and its configuration as they are now.
func (d *cacheDeps) bridge(b *Bridge, snap *flowtable.Snapshot) {
	d.bridges = append(d.bridges, bridgeDep{b: b, snap: snap, fdbGen: b.FDB.Gen(), cfgGen: b.cfgGen.Load()})
}

func (d *cacheDeps) expires(until int64) {
	if d.until == 0 || until < d.until {
		d.until = until
	}
}

// valid reports whether nothing the entry depends on has changed.
func (e *cacheEntry) valid(now int64) bool {
	d := &e.deps
	if d.until != 0 && now >= d.until {
		return false
	}
	for i := range d.bridges {
		bd := &d.bridges[i]
		if bd.b.Flows.Snapshot() != bd.snap || bd.b.FDB.Gen() != bd.fdbGen || bd.b.cfgGen.Load() != bd.cfgGen {
			return false
		}
	}
	for _, pd := range d.ports {
		if pd.p.Up.Load() != pd.up {
			return false
		}
	}
	return true
}

// lookup returns a valid entry for a packet with key k entering table of
// b, or nil.
func (c *flowCache) lookup(b *Bridge, table uint8, k *flowtable.Key, now int64) *cacheEntry {
	sl := c.slot(b, table, k)
	if sl.e != nil && sl.b == b && sl.table == table && sl.key == *k && sl.e.valid(now) {
		c.hits++
		return sl.e
	}
	for _, cm := range c.masks {
		if cm.b != b || cm.table != table {
			continue
		}
		var mk flowtable.Key
		for i := range mk {
			mk[i] = k[i] & cm.mask[i]
		}
		if e := cm.entries[mk]; e != nil && e.valid(now) {
			*sl = emcSlot{b: b, table: table, key: *k, e: e}
			c.hits++
			return e
		}
	}
	c.misses++
	return nil
}

// insert remembers the translation x just made of key k from table of b,
// keeping at most limit entries.
func (c *flowCache) insert(b *Bridge, table uint8, k *flowtable.Key, x *xlate, limit int) {
	if c.n >= limit {
		c.masks, c.n = c.masks[:0], 0
		clear(c.emc[:])
	}
	// The entry matches the bits translation looked at and all metadata.
	header := flowtable.HeaderMask()
	var mask, mk flowtable.Key
	e := &cacheEntry{ops: slices.Clone(x.ops), recircs: slices.Clone(x.recircs), drop: x.drop}
	for i := range mask {
		mask[i] = x.wc[i] | ^header[i]
		mk[i] = k[i] & mask[i]
		e.pass[i] = header[i] &^ x.wc[i]
	}
	e.deps = x.cache.clone()
	var cm *cacheMask
	for _, m := range c.masks {
		if m.b == b && m.table == table && m.mask == mask {
			cm = m
			break
		}
	}
	if cm == nil {
		cm = &cacheMask{b: b, table: table, mask: mask, entries: map[flowtable.Key]*cacheEntry{}}
		c.masks = append(c.masks, cm)
	}
	if cm.entries[mk] == nil {
		c.n++
	}
	cm.entries[mk] = e
	*c.slot(b, table, k) = emcSlot{b: b, table: table, key: *k, e: e}
}

// replay does for packet p what the translation cached in e did: its side
// effects, then its operations.
func (w *Worker) replay(e *cacheEntry, p *Packet, k *flowtable.Key, b *Bridge, now int64) {
	d := &e.deps
	n := p.Len()
	for _, f := range d.hits {
		f.Hit(n, now)
	}
	for _, l := range d.lookups {
		l.snap.CountLookup(l.table, l.matched, &w.x.wc)
	}
	for _, m := range d.learns {
		m.fdb.Learn(m.vlan, m.mac, m.port, now)
	}
	for _, f := range d.refreshes {
		f.RestartHardTimeout(now)
	}
	for _, pp := range d.patches {
		pp.Stats.TxPackets.Add(1)
		pp.Stats.TxBytes.Add(uint64(n))
		if peer := pp.Peer(); peer != nil {
			peer.Stats.RxPackets.Add(1)
			peer.Stats.RxBytes.Add(uint64(n))
		}
	}
	x := &w.x
	x.recircs = x.recircs[:0]
	for _, rc := range e.recircs {
		for i := range rc.key {
			rc.key[i] = rc.key[i]&^e.pass[i] | k[i]&e.pass[i]
		}
		x.recircs = append(x.recircs, rc)
	}
	if e.drop != DropNone {
		b.countDrop(e.drop)
	}
	w.execute(p, e.ops)
}
