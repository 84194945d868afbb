// Package fdb is the MAC learning table of the NORMAL action, with Open
// vSwitch semantics: entries map (VLAN, MAC) to the port the MAC was last
// seen on, expire after an idle time, and when the table is full an entry
// of the port with the most entries is evicted to make room, the one it
// learned or refreshed longest ago (so a flood of source MACs on one port
// or VLAN evicts its own entries, not everyone else's).
//
// Learn and Lookup run on the per-packet path of several workers at once.
// The table is split into shards, each a map under its own RWMutex; looking
// up or refreshing an existing entry takes only a shard read lock and
// updates the entry with atomic stores, so it neither contends on a global
// lock nor allocates. Only adding a new entry takes the table's insert lock
// (which also serialises eviction) and a shard write lock.
package fdb

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults, as Open vSwitch's other_config:mac-table-size and
// mac-aging-time.
const (
	DefaultSize  = 8192
	DefaultAging = 300 * time.Second
)

// PortLocal is the OpenFlow number of a bridge's LOCAL port, which
// FormatShow prints as "LOCAL".
const PortLocal Port = 0xfffe

// Port is an OpenFlow port number.
type Port uint32

const numShards = 64

type entry struct {
	key  uint64 // vlan<<48 | mac
	port atomic.Uint32
	seen atomic.Int64 // unix nanoseconds of the last Learn
}

// shard is one part of the table: an immutable map, replaced whole (copy
// on write, under Table.mu) when entries come or go, so the per-packet
// lookups and refreshes take no lock.
type shard struct {
	m atomic.Pointer[map[uint64]*entry]
	_ [56]byte // keep shards on separate cache lines
}

func (s *shard) get(k uint64) *entry { return (*s.m.Load())[k] }

// entries returns the shard's current map; it must not be modified.
func (s *shard) entries() map[uint64]*entry { return *s.m.Load() }

// update publishes a copy of the shard's map changed by f. Callers hold
// Table.mu.
func (s *shard) update(f func(m map[uint64]*entry)) {
	old := *s.m.Load()
	m := make(map[uint64]*entry, len(old)+1)
	for k, e := range old {
		m[k] = e
	}
	f(m)
	s.m.Store(&m)
}

// Table is a MAC learning table. Its methods are safe for concurrent use.
type Table struct {
	shards [numShards]shard
	aging  atomic.Int64 // nanoseconds
	// gen changes whenever a Lookup could answer differently other than by
	// ageing: an entry added, moved, revived after it aged, or removed, or
	// the aging time changed. Caches of forwarding decisions compare it.
	gen atomic.Uint64

	mu    sync.Mutex // insert lock: new entries, eviction, flushes, limits
	size  int        // maximum number of entries
	count int
	// cands are eviction candidates, oldest first, with the seen time and
	// port they had when collected (see evict).
	cands []candidate
}

type candidate struct {
	e    *entry
	seen int64
	port uint32
}

// New returns an empty table holding at most maxEntries entries that are
// forgotten aging after they were last learned; 0 (or less) selects
// DefaultSize and DefaultAging.
func New(maxEntries int, aging time.Duration) *Table {
	t := &Table{}
	for i := range t.shards {
		t.shards[i].m.Store(&map[uint64]*entry{})
	}
	t.SetLimits(maxEntries, aging)
	return t
}

// SetLimits changes the maximum size and the aging time; 0 (or less)
// selects the default of each. Shrinking below the current number of
// entries evicts the oldest.
func (t *Table) SetLimits(maxEntries int, aging time.Duration) {
	if maxEntries <= 0 {
		maxEntries = DefaultSize
	}
	if aging <= 0 {
		aging = DefaultAging
	}
	t.aging.Store(int64(aging))
	t.gen.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.size = maxEntries
	for t.count > t.size {
		t.evict()
	}
}

// Limits returns the maximum size and the aging time.
func (t *Table) Limits() (int, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size, time.Duration(t.aging.Load())
}

func makeKey(vlan uint16, mac [6]byte) uint64 {
	return uint64(vlan&0xfff)<<48 | uint64(mac[0])<<40 | uint64(mac[1])<<32 | uint64(mac[2])<<24 |
		uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
}

func (t *Table) shard(k uint64) *shard {
	return &t.shards[(k*0x9e3779b97f4a7c15)>>58]
}

// Learn records that mac was seen in vlan on port at now (unix
// nanoseconds). An existing entry is refreshed, and moved if the port
// differs, without allocating or taking an exclusive lock.
func (t *Table) Learn(vlan uint16, mac [6]byte, port uint32, now int64) {
	k := makeKey(vlan, mac)
	s := t.shard(k)
	if e := s.get(k); e != nil {
		t.refresh(e, port, now)
		return
	}
	t.insert(s, k, port, now)
}

func (t *Table) refresh(e *entry, port uint32, now int64) {
	if e.port.Load() != port {
		e.port.Store(port)
		t.gen.Add(1)
	} else if now-e.seen.Load() >= t.aging.Load() {
		t.gen.Add(1) // aged out, and back
	}
	// Only move forward (seen times only grow, which eviction relies on),
	// and skip the store when unchanged so that workers learning the same
	// MAC at the same instant do not bounce the cache line.
	if now > e.seen.Load() {
		e.seen.Store(now)
	}
}

func (t *Table) insert(s *shard, k uint64, port uint32, now int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := s.get(k)
	if e != nil { // another worker added it meanwhile
		t.refresh(e, port, now)
		return
	}
	for t.count >= t.size {
		t.evict()
	}
	e = &entry{key: k}
	e.port.Store(port)
	e.seen.Store(now)
	s.update(func(m map[uint64]*entry) { m[k] = e })
	t.count++
	t.gen.Add(1)
}

// evict removes the oldest entry of the port with the most entries, as
// Open vSwitch's mac-learning evicts "fairly"; among ports with as many
// entries, the one whose oldest entry is oldest. Callers hold t.mu.
//
// Finding it means a scan, so one scan (collect) takes a batch of that
// port's oldest entries as candidates, sorted. A candidate whose seen time
// and port have not changed since is still older than every entry of the
// port that was not collected (seen times only grow) and than later
// insertions, so the first unchanged candidate is the one to go; refreshed,
// moved or removed candidates are skipped. The batch is as large as keeps
// the port the largest however the others grow meanwhile, and at least 1/32
// of its entries, so a flood of
// new MACs costs O(log n) amortised rather than a scan per packet, at the
// price of ports of nearly equal size being evicted from in turns of that
// many entries rather than one by one.
func (t *Table) evict() {
	for attempt := 0; ; attempt++ {
		for len(t.cands) > 0 {
			c := t.cands[0]
			t.cands = t.cands[1:]
			if attempt == 0 && (c.e.seen.Load() != c.seen || c.e.port.Load() != c.port) {
				continue
			}
			if t.remove(c.e) {
				return
			}
		}
		t.collect()
		if len(t.cands) == 0 {
			return // empty table: nothing to evict
		}
	}
}

// collect fills t.cands with the next batch of eviction candidates.
func (t *Table) collect() {
	all := make([]candidate, 0, t.count)
	for i := range t.shards {
		for _, e := range t.shards[i].entries() {
			all = append(all, candidate{e, e.seen.Load(), e.port.Load()})
		}
	}
	if len(all) == 0 {
		t.cands = nil
		return
	}
	slices.SortFunc(all, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.seen, b.seen), cmp.Compare(a.e.key, b.e.key))
	})
	counts := map[uint32]int{}
	for _, c := range all {
		counts[c.port]++
	}
	victim, top, second := all[0].port, 0, 0
	for _, c := range all { // oldest first: the first port seen wins ties
		switch n := counts[c.port]; {
		case n > top:
			victim, second, top = c.port, top, n
		case n > second && c.port != victim:
			second = n
		}
	}
	// Each eviction shrinks the victim by one and each insertion meanwhile
	// may grow another port by one: half the lead keeps it the largest.
	n := min(top, max((top-second)/2+1, top/32))
	cands := make([]candidate, 0, n)
	for _, c := range all {
		if c.port == victim && len(cands) < n {
			cands = append(cands, c)
		}
	}
	t.cands = cands
}

// remove deletes e if it is still in the table. Callers hold t.mu.
func (t *Table) remove(e *entry) bool {
	s := t.shard(e.key)
	if s.get(e.key) != e {
		return false
	}
	s.update(func(m map[uint64]*entry) { delete(m, e.key) })
	t.count--
	t.gen.Add(1)
	return true
}

// Lookup returns the port mac was learned on in vlan, unless the entry is
// older than the aging time at now (unix nanoseconds).
func (t *Table) Lookup(vlan uint16, mac [6]byte, now int64) (Port, bool) {
	p, _, ok := t.LookupUntil(vlan, mac, now)
	return p, ok
}

// LookupUntil is Lookup that also says until when (unix nanoseconds) a
// found entry stays valid if nothing refreshes it; while Gen does not
// change, the answer holds until then.
func (t *Table) LookupUntil(vlan uint16, mac [6]byte, now int64) (Port, int64, bool) {
	k := makeKey(vlan, mac)
	e := t.shard(k).get(k)
	if e == nil {
		return 0, 0, false
	}
	until := e.seen.Load() + t.aging.Load()
	if now >= until {
		return 0, 0, false
	}
	return Port(e.port.Load()), until, true
}

// Gen returns the table's generation (see Table.gen).
func (t *Table) Gen() uint64 { return t.gen.Load() }

// Len returns the number of entries, expired ones included until they are
// evicted or purged by Entries.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count
}

// FlushPort forgets every entry learned on port (the port went away).
func (t *Table) FlushPort(port uint32) {
	t.removeIf(func(e *entry) bool { return e.port.Load() == port })
}

// Flush forgets every entry.
func (t *Table) Flush() {
	t.removeIf(func(*entry) bool { return true })
}

func (t *Table) removeIf(f func(*entry) bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.shards {
		s := &t.shards[i]
		var gone []uint64
		for k, e := range s.entries() {
			if f(e) {
				gone = append(gone, k)
			}
		}
		if len(gone) == 0 {
			continue
		}
		s.update(func(m map[uint64]*entry) {
			for _, k := range gone {
				delete(m, k)
			}
		})
		t.count -= len(gone)
		t.gen.Add(1)
	}
	t.cands = nil
}

// Entry is one learned MAC, as Entries reports it.
type Entry struct {
	Port Port
	VLAN uint16
	MAC  [6]byte
	Age  time.Duration // since last learned
}

// Entries returns the live entries at now (unix nanoseconds), oldest first
// as ovs-appctl fdb/show lists them; expired entries are purged.
func (t *Table) Entries(now int64) []Entry {
	aging := t.aging.Load()
	t.removeIf(func(e *entry) bool { return now-e.seen.Load() >= aging })
	type seenEntry struct {
		Entry
		seen int64
	}
	var list []seenEntry
	for i := range t.shards {
		for k, e := range t.shards[i].entries() {
			seen := e.seen.Load()
			var mac [6]byte
			for j := range mac {
				mac[j] = byte(k >> (40 - 8*j))
			}
			list = append(list, seenEntry{Entry{Port: Port(e.port.Load()), VLAN: uint16(k >> 48), MAC: mac, Age: time.Duration(max(0, now-seen))}, seen})
		}
	}
	slices.SortFunc(list, func(a, b seenEntry) int {
		return cmp.Or(cmp.Compare(a.seen, b.seen), cmp.Compare(a.VLAN, b.VLAN), slices.Compare(a.MAC[:], b.MAC[:]))
	})
	out := make([]Entry, len(list))
	for i := range list {
		out[i] = list[i].Entry
	}
	return out
}

// FormatShow formats entries exactly as ovs-appctl fdb/show does: a
// header line, then one line per entry with the port (name(port), or the
// number — "LOCAL" for PortLocal — if name is nil), VLAN, MAC and age in
// whole seconds.
func FormatShow(entries []Entry, name func(Port) string) string {
	var b strings.Builder
	b.WriteString(" port  VLAN  MAC                Age\n")
	for _, e := range entries {
		var p string
		switch {
		case name != nil:
			p = name(e.Port)
		case e.Port == PortLocal:
			p = "LOCAL"
		default:
			p = fmt.Sprint(uint32(e.Port))
		}
		m := e.MAC
		fmt.Fprintf(&b, "%5s  %4d  %02x:%02x:%02x:%02x:%02x:%02x  %3d\n", p, e.VLAN, m[0], m[1], m[2], m[3], m[4], m[5], int64(e.Age/time.Second))
	}
	return b.String()
}
