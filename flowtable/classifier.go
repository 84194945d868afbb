package flowtable

import (
	"maps"
	"slices"
)

// The classifier is a tuple-space search: the flows of a table are grouped
// into subtables by identical mask; a subtable is a hash map from the
// masked key words to the flows with those values, highest priority first.
// A lookup probes the subtables in order of their highest priority and
// stops as soon as the best flow found so far has a priority at least the
// next subtable's highest, so its cost grows with the number of distinct
// masks, not of flows.
//
// Published structures are immutable. A writer works on copies: a table or
// subtable is cloned at most once per transaction (its gen then equals the
// transaction's), and a bucket slice is never changed in place (it may be
// shared with the published copy), so readers need no lock.

// subtable holds the flows of one table that share one mask.
type subtable struct {
	mask   Key
	idx    []uint8 // words of mask that are not zero
	maxPri uint16  // highest priority of any flow here
	n      int
	pris   map[uint16]int32 // flows per priority, to maintain maxPri
	// The buckets, by hash of the masked words, are split into 1<<bits
	// shards by the hash's top bits, so that a writer copies only the
	// shards it changes: a single flow mod costs O(shard size + number of
	// shards), not O(flows).
	shards []*shard
	bits   uint8
	gen    uint64
	id     uint64 // creation order, to sort subtables deterministically
}

// bucket holds the flows of one hash value, priority descending. The first
// is inline, so that the usual one-flow bucket costs no extra memory access
// and no allocation. Writers never change a bucket's rest slice in place.
type bucket struct {
	head *Flow
	rest []*Flow
}

func (b *bucket) len() int {
	if b.head == nil {
		return 0
	}
	return 1 + len(b.rest)
}

func (b *bucket) at(i int) *Flow {
	if i == 0 {
		return b.head
	}
	return b.rest[i-1]
}

// flows returns a new slice of b's flows (writers only).
func (b *bucket) flows() []*Flow {
	s := make([]*Flow, 0, b.len()+1)
	if b.head != nil {
		s = append(s, b.head)
	}
	return append(s, b.rest...)
}

// mkBucket makes a bucket of s, which the bucket then owns.
func mkBucket(s []*Flow) bucket {
	if len(s) == 0 {
		return bucket{}
	}
	if len(s) == 1 {
		return bucket{head: s[0]}
	}
	return bucket{head: s[0], rest: s[1:]}
}

// shard is one part of a subtable's hash map.
type shard struct {
	m   map[uint64]bucket
	gen uint64
}

// maxShardLoad is the average shard size above which a subtable doubles
// its number of shards.
const maxShardLoad = 256

func (st *subtable) get(h uint64) bucket { return st.shards[h>>(64-uint64(st.bits))].m[h] }

// wshard returns a writable copy of the shard for hash h; st must be
// writable.
func (st *subtable) wshard(h uint64) *shard {
	i := h >> (64 - uint64(st.bits))
	sh := st.shards[i]
	if sh.gen != st.gen {
		sh = &shard{m: maps.Clone(sh.m), gen: st.gen}
		st.shards[i] = sh
	}
	return sh
}

func (st *subtable) set(h uint64, b bucket) {
	sh := st.wshard(h)
	if b.head == nil {
		delete(sh.m, h)
	} else {
		sh.m[h] = b
	}
}

// grow doubles the shards when they are too full; st must be writable.
func (st *subtable) grow() {
	if st.n <= len(st.shards)*maxShardLoad || st.bits >= 24 {
		return
	}
	bits := st.bits + 1
	shards := make([]*shard, 1<<bits)
	for i := range shards {
		shards[i] = &shard{m: make(map[uint64]bucket, maxShardLoad/2), gen: st.gen}
	}
	for _, sh := range st.shards {
		for h, b := range sh.m {
			shards[h>>(64-uint64(bits))].m[h] = b
		}
	}
	st.shards, st.bits = shards, bits
}

func newSubtable(mask *Key, gen, id uint64) *subtable {
	st := &subtable{mask: *mask, pris: map[uint16]int32{}, gen: gen, id: id,
		shards: []*shard{{m: map[uint64]bucket{}, gen: gen}}}
	for i, w := range mask {
		if w != 0 {
			st.idx = append(st.idx, uint8(i))
		}
	}
	return st
}

func (st *subtable) clone(gen uint64) *subtable {
	c := *st
	c.pris = maps.Clone(st.pris)
	c.shards = slices.Clone(st.shards)
	c.gen = gen
	return &c
}

func (st *subtable) hash(v *Key) uint64 { return hashWords(v, &st.mask, st.idx) }

// matches reports whether k matches f, a flow of st (only st's words count).
func (st *subtable) matches(f *Flow, k *Key) bool {
	for _, i := range st.idx {
		if k[i]&st.mask[i] != f.Match.Value[i] {
			return false
		}
	}
	return true
}

// findExact returns the flow of st with exactly match m and priority pri.
func (st *subtable) findExact(m *Match, pri uint16) *Flow {
	b := st.get(st.hash(&m.Value))
	for i, n := 0, b.len(); i < n; i++ {
		if f := b.at(i); f.Priority == pri && f.Match.Value == m.Value {
			return f
		}
	}
	return nil
}

// insert adds f after the flows of equal or higher priority in its bucket.
func (st *subtable) insert(f *Flow) {
	h := st.hash(&f.Match.Value)
	old := st.get(h)
	if old.head == nil {
		st.set(h, bucket{head: f})
	} else {
		b := old.flows()
		i := 0
		for i < len(b) && b[i].Priority >= f.Priority {
			i++
		}
		st.set(h, mkBucket(slices.Insert(b, i, f)))
	}
	st.n++
	st.grow()
	st.pris[f.Priority]++
	if st.n == 1 || f.Priority > st.maxPri {
		st.maxPri = f.Priority
	}
}

// remove takes f out of st; it reports whether f was there.
func (st *subtable) remove(f *Flow) bool {
	h := st.hash(&f.Match.Value)
	old := st.get(h)
	b := old.flows()
	i := slices.Index(b, f)
	if i < 0 {
		return false
	}
	st.set(h, mkBucket(slices.Delete(b, i, i+1)))
	st.n--
	if st.pris[f.Priority]--; st.pris[f.Priority] == 0 {
		delete(st.pris, f.Priority)
		if f.Priority == st.maxPri {
			st.maxPri = 0
			for p := range st.pris {
				st.maxPri = max(st.maxPri, p)
			}
		}
	}
	return true
}

// replace puts nf where old is (same match and priority).
func (st *subtable) replace(old, nf *Flow) {
	h := st.hash(&old.Match.Value)
	ob := st.get(h)
	b := ob.flows()
	i := slices.Index(b, old)
	if i < 0 {
		return
	}
	b[i] = nf
	st.set(h, mkBucket(b))
}

// each calls fn for every flow of st until fn returns false.
func (st *subtable) each(fn func(*Flow) bool) bool {
	for _, sh := range st.shards {
		for _, b := range sh.m {
			for i, n := 0, b.len(); i < n; i++ {
				if !fn(b.at(i)) {
					return false
				}
			}
		}
	}
	return true
}

// table is one flow table.
type table struct {
	subs   []*subtable // by maxPri descending, then id
	byMask map[Key]*subtable
	n      int // flows
	nSoft  int // conjunctive flows
	nTimed int // flows with an idle or hard timeout
	gen    uint64
}

func (tb *table) clone(gen uint64) *table {
	return &table{subs: slices.Clone(tb.subs), byMask: maps.Clone(tb.byMask), n: tb.n, nSoft: tb.nSoft, nTimed: tb.nTimed, gen: gen}
}

func (tb *table) len() int {
	if tb == nil {
		return 0
	}
	return tb.n
}

// findExact returns the flow with exactly match m and priority pri.
func (tb *table) findExact(m *Match, pri uint16) *Flow {
	if tb == nil {
		return nil
	}
	st := tb.byMask[m.Mask]
	if st == nil {
		return nil
	}
	return st.findExact(m, pri)
}

// sortSubs restores the probing order after priorities changed and drops
// empty subtables.
func (tb *table) sortSubs() {
	tb.subs = slices.DeleteFunc(tb.subs, func(st *subtable) bool {
		if st.n == 0 {
			delete(tb.byMask, st.mask)
			return true
		}
		return false
	})
	slices.SortFunc(tb.subs, func(a, b *subtable) int {
		if a.maxPri != b.maxPri {
			return int(b.maxPri) - int(a.maxPri)
		}
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
}

// maxSoft is how many conjunctive flows one lookup keeps on its stack;
// beyond that they go to a slice on the heap (one allocation, for tables
// with unusually many matching conjunctive flows), never lost.
const maxSoft = 32

// softSet is the per-lookup scratch of matching conjunctive flows.
type softSet struct {
	n     int
	flows [maxSoft]*Flow
	more  []*Flow
}

func (s *softSet) add(f *Flow) {
	if s.n < maxSoft {
		s.flows[s.n] = f
		s.n++
		return
	}
	s.more = append(s.more, f)
}

// find returns the highest-priority ordinary flow of tb matching k, ORing
// the masks of the subtables it probes into wc. With soft non-nil it also
// collects the conjunctive flows that match with a priority above the best
// ordinary flow found at the time (the caller filters again at the end).
func (tb *table) find(k, wc *Key, soft *softSet) *Flow {
	var best *Flow
	for _, st := range tb.subs {
		if best != nil && best.Priority >= st.maxPri {
			break
		}
		for _, i := range st.idx {
			wc[i] |= st.mask[i]
		}
		b := st.get(st.hash(k))
		for i, n := 0, b.len(); i < n; i++ {
			f := b.at(i)
			if best != nil && f.Priority <= best.Priority {
				break
			}
			if !st.matches(f, k) {
				continue
			}
			if f.soft {
				if soft != nil {
					soft.add(f)
				}
				continue
			}
			best = f
			break
		}
	}
	return best
}

// maxConjIDs is how many distinct conjunction ids one priority level of one
// lookup tracks on its stack; more go to a slice on the heap.
const maxConjIDs = 16

type conjState struct {
	id      uint32
	n       uint8
	clauses uint64 // bit k-1 set when clause k matched
}

// lookup is a full lookup in tb: the best ordinary flow, unless a complete
// conjunctive match of higher priority leads to a conj_id flow.
//
// Conjunctions follow Open vSwitch: the matching conjunctive flows with a
// priority above the best ordinary flow are taken one priority level at a
// time, highest first; at a level, a conjunction id whose clauses 1..n all
// have a matching flow is complete, and the table is looked up again with
// conj_id set to it (ordinary flows only). The first such lookup that finds
// a flow matching on conj_id gives the result.
func (tb *table) lookup(k, wc *Key) *Flow {
	if tb.nSoft == 0 {
		return tb.find(k, wc, nil)
	}
	var soft softSet
	hard := tb.find(k, wc, &soft)
	if soft.n == 0 {
		return hard
	}
	// Keep the flows above hard, sorted by priority descending (insertion
	// sort: the set is small; stable, so equal priorities keep their order).
	all := soft.flows[:soft.n]
	if len(soft.more) > 0 {
		all = append(all[:len(all):len(all)], soft.more...)
	}
	fl := all[:0]
	for _, f := range all {
		if hard == nil || f.Priority > hard.Priority {
			fl = append(fl, f)
		}
	}
	for i := 1; i < len(fl); i++ {
		for j := i; j > 0 && fl[j].Priority > fl[j-1].Priority; j-- {
			fl[j], fl[j-1] = fl[j-1], fl[j]
		}
	}
	for len(fl) > 0 {
		pri := fl[0].Priority
		end := 1
		for end < len(fl) && fl[end].Priority == pri {
			end++
		}
		if f := tb.conjLevel(k, wc, fl[:end]); f != nil {
			return f
		}
		fl = fl[end:]
	}
	return hard
}

// conjLevel evaluates the conjunctive flows of one priority level.
func (tb *table) conjLevel(k, wc *Key, level []*Flow) *Flow {
	var stack [maxConjIDs]conjState
	cs := stack[:0]
	for _, f := range level {
		for _, a := range f.Actions {
			c, ok := a.(Conjunction)
			if !ok || c.Clause == 0 || c.Clause > c.NClauses || c.NClauses > 64 {
				continue
			}
			j := 0
			for j < len(cs) && (cs[j].id != c.ID || cs[j].n != c.NClauses) {
				j++
			}
			if j == len(cs) {
				cs = append(cs, conjState{id: c.ID, n: c.NClauses}) // past the stack array: the heap
			}
			cs[j].clauses |= 1 << (c.Clause - 1)
		}
	}
	// Try complete conjunctions in ascending id order, for determinism.
	var tried uint32
	triedAny := false
	for {
		best := -1
		for j := range cs {
			c := &cs[j]
			full := ^uint64(0)
			if c.n < 64 {
				full = 1<<c.n - 1
			}
			if c.clauses != full || (triedAny && c.id <= tried) {
				continue
			}
			if best < 0 || c.id < cs[best].id {
				best = j
			}
		}
		if best < 0 {
			return nil
		}
		tried, triedAny = cs[best].id, true
		kc := *k
		kc[wConj] = kc[wConj]&^0xffffffff | uint64(tried)
		if f := tb.find(&kc, wc, nil); f != nil && f.Match.Mask[wConj]&0xffffffff != 0 {
			return f
		}
	}
}
