package flowtable

import (
	"slices"
	"time"
)

// txn is one batch of modifications, built on copies of the tables.
type txn struct {
	t     *Tables
	gen   uint64
	cur   [NumTables]*table
	dirty [NumTables]bool
	now   time.Time
	// learners are the (table, cookie) pairs of learn(delete_learned)
	// actions of flows this transaction removed or changed.
	learners []learnKey
	// changes, when not nil, records every flow put in or taken out, in
	// order (ApplyChanges).
	changes *[]Change
}

// Change is one flow a transaction added (Added) or removed; a modified
// flow is its old version removed and its new one added.
type Change struct {
	Flow  *Flow
	Added bool
}

func (x *txn) record(f *Flow, added bool) {
	if x.changes != nil {
		*x.changes = append(*x.changes, Change{f, added})
	}
}

type learnKey struct {
	table  uint8
	cookie uint64
}

// begin starts a transaction; t.mu must be held.
func (t *Tables) begin(now time.Time, fresh bool) *txn {
	t.gen++
	x := &txn{t: t, gen: t.gen, now: now}
	if fresh {
		for i := range x.dirty {
			x.dirty[i] = true
		}
	} else {
		x.cur = t.snap.Load().tables
	}
	return x
}

// forgetLearner notes the learn(delete_learned) actions of a flow that is
// going away or changing.
func (x *txn) forgetLearner(f *Flow) {
	for _, a := range f.Actions {
		if l, ok := a.(Learn); ok && l.DeleteLearned {
			x.learners = append(x.learners, learnKey{l.Table, l.Cookie})
		}
	}
}

// deleteLearned removes, as Open vSwitch does, the flows a
// learn(delete_learned) action installed (its table and cookie) once no
// flow with such an action is left.
func (x *txn) deleteLearned() {
	for len(x.learners) > 0 {
		pending := x.learners
		x.learners = nil
		for _, k := range pending {
			if x.hasLearner(k) {
				continue
			}
			var doomed []*Flow
			x.each(k.table, func(f *Flow) {
				if f.Cookie == k.cookie {
					doomed = append(doomed, f)
				}
			})
			for _, f := range doomed {
				x.remove(f)
			}
		}
	}
}

func (x *txn) hasLearner(k learnKey) bool {
	for id := range x.cur {
		found := false
		x.each(uint8(id), func(f *Flow) {
			for _, a := range f.Actions {
				if l, ok := a.(Learn); ok && l.DeleteLearned && l.Table == k.table && l.Cookie == k.cookie {
					found = true
				}
			}
		})
		if found {
			return true
		}
	}
	return false
}

// each calls fn for every flow of table id in the transaction.
func (x *txn) each(id uint8, fn func(*Flow)) {
	tb := x.cur[id]
	if tb == nil {
		return
	}
	for _, st := range tb.subs {
		st.each(func(f *Flow) bool { fn(f); return true })
	}
}

// commit publishes the transaction's tables.
func (x *txn) commit() {
	x.deleteLearned()
	s := &Snapshot{stats: &x.t.stats}
	for i, tb := range x.cur {
		if x.dirty[i] && tb != nil {
			tb.sortSubs()
			if tb.n == 0 {
				tb = nil
			}
		}
		s.tables[i] = tb
		s.n += tb.len()
	}
	x.t.snap.Store(s)
}

// table returns a writable copy of table id.
func (x *txn) table(id uint8) *table {
	tb := x.cur[id]
	if tb != nil && tb.gen == x.gen {
		return tb
	}
	if tb == nil {
		tb = &table{byMask: map[Key]*subtable{}, gen: x.gen}
	} else {
		tb = tb.clone(x.gen)
	}
	x.cur[id], x.dirty[id] = tb, true
	return tb
}

// sub returns a writable copy of tb's subtable for mask, creating it if
// create is set (else nil when there is none). tb must be writable.
func (x *txn) sub(tb *table, mask *Key, create bool) *subtable {
	st := tb.byMask[*mask]
	switch {
	case st == nil && !create:
		return nil
	case st == nil:
		x.t.seq++
		st = newSubtable(mask, x.gen, x.t.seq)
		tb.byMask[*mask] = st
		tb.subs = append(tb.subs, st)
	case st.gen != x.gen:
		c := st.clone(x.gen)
		tb.byMask[*mask] = c
		tb.subs[slices.Index(tb.subs, st)] = c
		st = c
	}
	return st
}

func timed(f *Flow) bool { return f.IdleTimeout != 0 || f.HardTimeout != 0 }

func (tb *table) account(f *Flow, d int) {
	tb.n += d
	if f.soft {
		tb.nSoft += d
	}
	if timed(f) {
		tb.nTimed += d
	}
}

// insert puts f into table f.Table, replacing a flow with the same match
// and priority; it returns the replaced flow, if any.
func (x *txn) insert(f *Flow) *Flow {
	tb := x.table(f.Table)
	st := x.sub(tb, &f.Match.Mask, true)
	old := st.findExact(&f.Match, f.Priority)
	if old != nil {
		st.remove(old)
		tb.account(old, -1)
		x.forgetLearner(old)
		x.record(old, false)
	}
	st.insert(f)
	tb.account(f, 1)
	x.record(f, true)
	return old
}

// remove takes f out of its table.
func (x *txn) remove(f *Flow) {
	tb := x.table(f.Table)
	if st := x.sub(tb, &f.Match.Mask, false); st != nil && st.remove(f) {
		tb.account(f, -1)
		x.forgetLearner(f)
		x.record(f, false)
	}
}

// swap replaces old by nf (same table, match and priority).
func (x *txn) swap(old, nf *Flow) {
	tb := x.table(old.Table)
	if st := x.sub(tb, &old.Match.Mask, false); st != nil {
		st.replace(old, nf)
		tb.account(old, -1)
		tb.account(nf, 1)
		x.forgetLearner(old)
		x.record(old, false)
		x.record(nf, true)
	}
}

// prepare readies a new flow for insertion: Apply and friends take
// ownership of the flows they are given, unless a flow is already in a
// table, in which case they copy it.
func (x *txn) prepare(f *Flow) *Flow {
	if f.owned {
		f = f.cloneDef()
	}
	f.Match.normalize()
	f.soft = isSoft(f.Actions)
	f.Created = x.now
	f.modified.Store(x.now.UnixNano())
	x.t.seq++
	f.seq = x.t.seq
	f.owned = true
	return f
}
