package flowtable

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Tables is the set of NumTables flow tables of a bridge. Lookups go
// through a Snapshot and take no lock; modifications are serialised by a
// mutex, built on copies of the tables they change, and published with one
// atomic pointer swap, so a batch is seen entirely or not at all.
type Tables struct {
	mu    sync.Mutex // serialises writers
	snap  atomic.Pointer[Snapshot]
	stats [NumTables]TableStats
	gen   uint64 // last transaction number (under mu)
	seq   uint64 // last flow/subtable sequence number (under mu)
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

// Lookup returns the highest-priority flow of table id that matches k, or
// nil, and ORs into wc (which may be nil) the mask bits the result depended
// on: the masks of every subtable probed. It neither locks nor allocates.
//
// Conjunctive flows (IsConjunctive) are never returned. When the matching
// conjunctive flows of some priority above the best ordinary match have,
// for a conjunction id, a flow for every clause 1..n, the table is looked
// up again with conj_id set to the id, and a conj_id flow found that way
// is the result. A lookup remembers at most 32 matching conjunctive flows
// (the highest-priority ones) and 16 conjunction ids per priority level;
// beyond that some conjunctions are not found, which never fails the
// lookup otherwise.
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
	}
	st.insert(f)
	tb.account(f, 1)
	return old
}

// remove takes f out of its table.
func (x *txn) remove(f *Flow) {
	tb := x.table(f.Table)
	if st := x.sub(tb, &f.Match.Mask, false); st != nil && st.remove(f) {
		tb.account(f, -1)
		x.forgetLearner(f)
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
	}
}

// prepare readies a new flow for insertion: Apply and friends take
// ownership of the flows they are given, unless a flow is already in a
// table, in which case they copy it.
func (x *txn) prepare(f *Flow) *Flow {
	if f.owned {
		f = f.cloneDef()
	}
	for i := range f.Match.Value {
		f.Match.Value[i] &= f.Match.Mask[i]
	}
	f.soft = isSoft(f.Actions)
	f.Created = x.now
	f.modified.Store(x.now.UnixNano())
	x.t.seq++
	f.seq = x.t.seq
	f.owned = true
	return f
}

// Errors of Apply.
var (
	ErrBadTable = errors.New("flowtable: table 255 is not a flow table")
	ErrNoFlow   = errors.New("flowtable: flow mod without a flow")
	ErrOverlap  = errors.New("flowtable: flow overlaps an existing flow of the same priority")
)

// Apply applies a batch of flow modifications atomically: if one fails,
// none takes effect. The semantics are Open vSwitch's:
//
//   - add replaces a flow with the same table, match and priority (its
//     counters start again from zero);
//   - modify (loose: every flow whose match the mod's match covers) and
//     modify_strict (same match and priority) replace the actions, keeping
//     the counters (unless FlagResetCounts), cookie, timeouts and creation
//     time and restarting the hard timeout; when nothing is selected and no
//     cookie mask is given, the flow is added instead;
//   - delete and delete_strict remove the selected flows.
//
// Modify and delete select by cookie under CookieMask when it is not 0, and
// delete by OutPort when it is not PortNone; AllTables selects in every
// table. Apply takes ownership of the mods' flows: the caller must not
// change them afterwards.
func (t *Tables) Apply(mods []*FlowMod, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.begin(now, false)
	for i, m := range mods {
		if err := x.apply(m); err != nil {
			if len(mods) > 1 {
				return fmt.Errorf("flow mod %d: %w", i+1, err)
			}
			return err
		}
	}
	x.commit()
	return nil
}

func (x *txn) apply(m *FlowMod) error {
	if m == nil || m.Flow == nil {
		return ErrNoFlow
	}
	mf := m.Flow
	if m.Command != CmdAdd && !m.AllTables && int(mf.Table) >= NumTables {
		return ErrBadTable
	}
	switch m.Command {
	case CmdAdd:
		return x.add(mf)
	case CmdModify, CmdModifyStrict:
		sel := x.selectFlows(m, false)
		if len(sel) == 0 {
			if m.CookieMask != 0 {
				return nil
			}
			return x.add(mf)
		}
		for _, old := range sel {
			nf := old.cloneDef()
			nf.Actions = mf.Actions
			if m.NewCookie {
				nf.Cookie = mf.Cookie
			}
			nf.soft = isSoft(nf.Actions)
			nf.seq = old.seq
			nf.owned = true
			nf.modified.Store(x.now.UnixNano())
			if mf.Flags&FlagResetCounts == 0 {
				nf.copyStats(old)
			}
			x.swap(old, nf)
		}
	case CmdDelete, CmdDeleteStrict:
		for _, old := range x.selectFlows(m, true) {
			x.remove(old)
		}
	default:
		return fmt.Errorf("flowtable: unknown flow mod command %d", m.Command)
	}
	return nil
}

func (x *txn) add(f *Flow) error {
	if int(f.Table) >= NumTables {
		return ErrBadTable
	}
	if f.Flags&FlagCheckOverlap != 0 && x.overlaps(f) {
		return ErrOverlap
	}
	x.insert(x.prepare(f))
	return nil
}

// overlaps reports whether some packet could match both f and another flow
// of the same priority in f's table (OFPFF_CHECK_OVERLAP).
func (x *txn) overlaps(f *Flow) bool {
	tb := x.cur[f.Table]
	if tb == nil {
		return false
	}
	hit := false
	for _, st := range tb.subs {
		st.each(func(o *Flow) bool {
			if o.Priority != f.Priority {
				return true
			}
			for i := range o.Match.Mask {
				if (o.Match.Value[i]^f.Match.Value[i])&o.Match.Mask[i]&f.Match.Mask[i] != 0 {
					return true
				}
			}
			hit = true
			return false
		})
		if hit {
			return true
		}
	}
	return false
}

// selectFlows returns the flows a modify or delete selects, in the current
// state of the transaction.
func (x *txn) selectFlows(m *FlowMod, isDelete bool) []*Flow {
	mf := m.Flow
	strict := m.Command == CmdModifyStrict || m.Command == CmdDeleteStrict
	ok := func(f *Flow) bool {
		if m.CookieMask != 0 && (f.Cookie^mf.Cookie)&m.CookieMask != 0 {
			return false
		}
		return !isDelete || m.OutPort == PortNone || outputsTo(f, m.OutPort)
	}
	var sel []*Flow
	scan := func(tb *table) {
		if tb == nil {
			return
		}
		if strict {
			if f := tb.findExact(&mf.Match, mf.Priority); f != nil && ok(f) {
				sel = append(sel, f)
			}
			return
		}
		for _, st := range tb.subs {
			covered := true
			for i := range st.mask {
				if mf.Match.Mask[i]&^st.mask[i] != 0 {
					covered = false
					break
				}
			}
			if !covered {
				continue
			}
			st.each(func(f *Flow) bool {
				if mf.Match.Covers(&f.Match) && ok(f) {
					sel = append(sel, f)
				}
				return true
			})
		}
	}
	if m.AllTables {
		for _, tb := range x.cur {
			scan(tb)
		}
	} else {
		scan(x.cur[mf.Table])
	}
	return sel
}

// outputsTo reports whether f has an action that outputs to port p.
func outputsTo(f *Flow, p Port) bool {
	for _, a := range f.Actions {
		switch a := a.(type) {
		case Output:
			if a.Port == p {
				return true
			}
		case Controller:
			if p == PortController {
				return true
			}
		}
	}
	return false
}

// Replace replaces every flow of every table with flows, atomically
// (ovs-ofctl replace-flows). A flow identical to an existing one (same
// table, match, priority, cookie, timeouts and actions) is kept as it is,
// with its counters and creation time. Later flows replace earlier ones
// with the same table, match and priority. Replace takes ownership of the
// flows.
func (t *Tables) Replace(flows []*Flow, now time.Time) error {
	for _, f := range flows {
		if f == nil {
			return ErrNoFlow
		}
		if int(f.Table) >= NumTables {
			return ErrBadTable
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.snap.Load()
	x := t.begin(now, true)
	for _, tb := range old.tables {
		if tb != nil {
			for _, st := range tb.subs {
				st.each(func(f *Flow) bool { x.forgetLearner(f); return true })
			}
		}
	}
	for _, f := range flows {
		var m Match
		m.Mask = f.Match.Mask
		for i := range m.Value {
			m.Value[i] = f.Match.Value[i] & m.Mask[i]
		}
		if o := old.tables[f.Table].findExact(&m, f.Priority); o != nil && (o == f || sameDef(o, f, &m)) {
			x.insert(o)
			continue
		}
		x.insert(x.prepare(f))
	}
	x.commit()
	return nil
}

// sameLearned reports whether learning f over the installed flow old
// changes nothing: learn sets only the actions and the cookie.
func sameLearned(old, f *Flow) bool {
	return old.Cookie == f.Cookie && actionsEqual(old.Actions, f.Actions)
}

// sameDef reports whether a and b are the same flow entry apart from
// counters: ovs-ofctl leaves such a flow alone when replacing flows.
func sameDef(a, b *Flow, bm *Match) bool {
	return a.Table == b.Table && a.Priority == b.Priority && a.Cookie == b.Cookie &&
		a.IdleTimeout == b.IdleTimeout && a.HardTimeout == b.HardTimeout &&
		a.Importance == b.Importance && a.Flags == b.Flags &&
		a.Match == *bm && actionsEqual(a.Actions, b.Actions)
}

func actionsEqual(a, b []Action) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		ta, tb := reflect.TypeOf(a[i]), reflect.TypeOf(b[i])
		if ta != tb {
			return false
		}
		if ta == nil {
			continue
		}
		if ta.Comparable() {
			if a[i] != b[i] {
				return false
			}
		} else if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Learn adds f (the learn action), or refreshes the flow with the same
// table, match and priority: its actions become f's, its counters and
// creation time stay, and its hard timeout starts again. Refreshing a flow
// that f does not change takes no lock and rebuilds nothing. Learn takes
// ownership of f. A flow for table 255 is ignored.
func (t *Tables) Learn(f *Flow, now time.Time) {
	if f == nil || int(f.Table) >= NumTables {
		return
	}
	if !f.owned {
		for i := range f.Match.Value {
			f.Match.Value[i] &= f.Match.Mask[i]
		}
	}
	if old := t.snap.Load().tables[f.Table].findExact(&f.Match, f.Priority); old != nil && sameLearned(old, f) {
		old.modified.Store(now.UnixNano())
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.begin(now, false)
	old := x.cur[f.Table].findExact(&f.Match, f.Priority)
	switch {
	case old != nil && sameLearned(old, f):
		old.modified.Store(now.UnixNano())
		return
	case old != nil:
		// As OVS's modify-strict: actions and cookie change; timeouts,
		// importance, flags, counters and creation time stay.
		nf := x.prepare(f)
		nf.Created, nf.seq = old.Created, old.seq
		nf.IdleTimeout, nf.HardTimeout, nf.Importance, nf.Flags = old.IdleTimeout, old.HardTimeout, old.Importance, old.Flags
		nf.copyStats(old)
		x.swap(old, nf)
	default:
		x.insert(x.prepare(f))
	}
	x.commit()
}

// Expire removes the flows whose hard timeout (counted from when they were
// added, modified or last refreshed by learn) or idle timeout (counted from
// their last hit, or their creation if never hit) has passed at now, and
// returns them.
func (t *Tables) Expire(now time.Time) []*Flow {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.snap.Load()
	nowNs := now.UnixNano()
	var gone []*Flow
	for _, tb := range s.tables {
		if tb == nil || tb.nTimed == 0 {
			continue
		}
		for _, st := range tb.subs {
			st.each(func(f *Flow) bool {
				if expired(f, nowNs) {
					gone = append(gone, f)
				}
				return true
			})
		}
	}
	if len(gone) == 0 {
		return nil
	}
	x := t.begin(now, false)
	for _, f := range gone {
		x.remove(f)
	}
	x.commit()
	sortFlows(gone)
	return gone
}

func expired(f *Flow, now int64) bool {
	const sec = int64(time.Second)
	if f.HardTimeout != 0 && now >= f.modified.Load()+int64(f.HardTimeout)*sec {
		return true
	}
	if f.IdleTimeout != 0 {
		last := f.used.Load()
		if last == 0 {
			last = f.Created.UnixNano()
		}
		if now >= last+int64(f.IdleTimeout)*sec {
			return true
		}
	}
	return false
}

// Flows returns the flows for which filter returns true (all of them when
// filter is nil), ordered by table, then priority descending, then the
// order in which they were added.
func (t *Tables) Flows(filter func(*Flow) bool) []*Flow {
	s := t.snap.Load()
	var out []*Flow
	for _, tb := range s.tables {
		if tb == nil {
			continue
		}
		start := len(out)
		for _, st := range tb.subs {
			st.each(func(f *Flow) bool {
				if filter == nil || filter(f) {
					out = append(out, f)
				}
				return true
			})
		}
		sortFlows(out[start:])
	}
	return out
}

func sortFlows(fl []*Flow) {
	slices.SortFunc(fl, func(a, b *Flow) int {
		switch {
		case a.Table != b.Table:
			return int(a.Table) - int(b.Table)
		case a.Priority != b.Priority:
			return int(b.Priority) - int(a.Priority)
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}
