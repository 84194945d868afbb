package flowtable

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

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
	_, err := t.apply(mods, now, false)
	return err
}

// ApplyChanges is Apply that also returns, in order, every flow the batch
// put in or took out of the tables (a journal of it replays the batch).
func (t *Tables) ApplyChanges(mods []*FlowMod, now time.Time) ([]Change, error) {
	return t.apply(mods, now, true)
}

func (t *Tables) apply(mods []*FlowMod, now time.Time, record bool) ([]Change, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.begin(now, false)
	var changes []Change
	if record {
		x.changes = &changes
	}
	for i, m := range mods {
		if err := x.apply(m); err != nil {
			if len(mods) > 1 {
				return nil, fmt.Errorf("flow mod %d: %w", i+1, err)
			}
			return nil, err
		}
	}
	x.commit()
	return changes, nil
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
	nf := x.prepare(f)
	if x.t.limits[nf.Table].Max > 0 && x.cur[nf.Table].findExact(&nf.Match, nf.Priority) == nil {
		if err := x.makeRoom(nf.Table); err != nil {
			return err
		}
	}
	x.insert(nf)
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
		return !isDelete || m.OutPort == PortNone || f.OutputsTo(m.OutPort)
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

// OutputsTo reports whether f has an action that outputs to port p, as
// the out_port of del-flows and dump-flows selects: controller actions
// output to CONTROLLER.
func (f *Flow) OutputsTo(p Port) bool {
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
	if err := t.fitsLimits(flows); err != nil {
		return err
	}
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
		m := f.Match
		m.normalize()
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
