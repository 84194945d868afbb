package flowtable

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// Tables is the set of NumTables flow tables of a bridge. Lookups go
// through a Snapshot and take no lock; modifications are serialised by a
// mutex, built on copies of the tables they change, and published with one
// atomic pointer swap, so a batch is seen entirely or not at all.
type Tables struct {
	mu     sync.Mutex // serialises writers
	snap   atomic.Pointer[Snapshot]
	stats  [NumTables]TableStats
	limits [NumTables]TableLimit // under mu
	// lowered is set once a fin_timeout gave some flow a timeout: the
	// expiry then also looks at tables it would skip as untimed.
	lowered atomic.Bool
	gen     uint64 // last transaction number (under mu)
	seq     uint64 // last flow/subtable sequence number (under mu)
}

// counterStripes is the number of copies of each table's lookup counters.
// Lookups on different CPUs that shared one pair of counters would bounce
// its cache line between them and halve the lookup rate; each lookup picks
// a stripe from the address of its wildcard key, which is distinct per
// worker, so concurrent workers mostly count on lines of their own.
const (
	stripeBits     = 3
	counterStripes = 1 << stripeBits
)

type counterStripe struct {
	lookups atomic.Uint64
	missed  atomic.Uint64 // counted instead of matches: misses are rare
	_       [48]byte      // one cache line each
}

// TableStats describes one table: its flow count and lookup counters.
type TableStats struct {
	stripes [counterStripes]counterStripe
	owner   *Tables
	id      uint8
}

// Len returns the number of flows in the table now.
func (s *TableStats) Len() int { return s.owner.snap.Load().tables[s.id].len() }

// Counters returns how many lookups the table has seen and how many of them
// found a flow.
func (s *TableStats) Counters() (lookups, matched uint64) {
	for i := range s.stripes {
		// A lookup is counted before its miss, so reading misses first
		// never sees more misses than lookups.
		miss := s.stripes[i].missed.Load()
		l := s.stripes[i].lookups.Load()
		lookups += l
		matched += l - miss
	}
	return lookups, matched
}

// stripeOf picks the counter stripe for a lookup whose wildcards are at wc.
func stripeOf(wc *Key) int {
	return int((uint64(uintptr(unsafe.Pointer(wc))) >> 6 * 0x9e3779b97f4a7c15) >> (64 - stripeBits))
}

// Snapshot is an immutable state of all the tables. A packet traversal takes
// one and does all its lookups in it.
type Snapshot struct {
	tables [NumTables]*table
	stats  *[NumTables]TableStats
	n      int
}

// NewTables returns a bridge's tables, all empty.
func NewTables() *Tables {
	t := &Tables{}
	for i := range t.stats {
		t.stats[i].owner, t.stats[i].id = t, uint8(i)
	}
	t.snap.Store(&Snapshot{stats: &t.stats})
	return t
}

// Snapshot returns the current state; it costs an atomic load.
func (t *Tables) Snapshot() *Snapshot { return t.snap.Load() }

// Table returns the description of table id.
func (t *Tables) Table(id uint8) *TableStats {
	if int(id) >= NumTables {
		id = NumTables - 1 // 255 is not a table; report 254 rather than panic
	}
	return &t.stats[id]
}

// Len returns the number of flows in all tables.
func (t *Tables) Len() int { return t.snap.Load().n }

// Len returns the number of flows in all tables of the snapshot.
func (s *Snapshot) Len() int { return s.n }

// CountLookup counts a lookup in table id that a cache of translations
// answered instead of the table, so that its counters read as if the table
// had been looked up; matched says whether it found a flow. stripe plays
// the part of Lookup's wc in choosing a counter stripe.
func (s *Snapshot) CountLookup(id uint8, matched bool, stripe *Key) {
	if int(id) >= NumTables {
		return
	}
	st := &s.stats[id].stripes[stripeOf(stripe)]
	st.lookups.Add(1)
	if !matched {
		st.missed.Add(1)
	}
}

// Lookup returns the highest-priority flow of table id that matches k, or
// nil, and ORs into wc (which may be nil) the mask bits the result depended
// on: the masks of every subtable probed. It neither locks nor allocates.
//
// Conjunctive flows (IsConjunctive) are never returned. When the matching
// conjunctive flows of some priority above the best ordinary match have,
// for a conjunction id, a flow for every clause 1..n, the table is looked
// up again with conj_id set to the id, and a conj_id flow found that way
// is the result. Up to 32 matching conjunctive flows and 16 conjunction
// ids per priority level are tracked on the stack; a lookup with more
// allocates for them rather than forget any.
func (s *Snapshot) Lookup(id uint8, k, wc *Key) *Flow {
	if int(id) >= NumTables {
		return nil
	}
	if wc == nil {
		var scratch Key
		wc = &scratch
	}
	st := &s.stats[id].stripes[stripeOf(wc)]
	st.lookups.Add(1)
	tb := s.tables[id]
	if tb == nil {
		st.missed.Add(1)
		return nil
	}
	f := tb.lookup(k, wc)
	if f == nil {
		st.missed.Add(1)
	}
	return f
}
