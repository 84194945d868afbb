package flowtable

import "time"

// Learn adds f (the learn action), or refreshes the flow with the same
// table, match and priority: its actions become f's, its counters and
// creation time stay, and its hard timeout starts again. Refreshing a flow
// that f does not change takes no lock and rebuilds nothing. Learn takes
// ownership of f. A flow for table 255 is ignored.
//
// A new flow is not added, and Learn reports false, when the table holds
// limit (if not 0) flows with f's cookie already, as learn(limit=), or
// is at its TableLimit and may not evict. When f changes nothing, Learn
// also returns the flow it refreshed in place: refreshing that flow with
// RestartHardTimeout is then all that learning f again would do.
func (t *Tables) Learn(f *Flow, limit uint32, now time.Time) (ok bool, refreshed *Flow) {
	if f == nil || int(f.Table) >= NumTables {
		return false, nil
	}
	if !f.owned {
		f.Match.normalize()
	}
	if old := t.snap.Load().tables[f.Table].findExact(&f.Match, f.Priority); old != nil && sameLearned(old, f) {
		old.RestartHardTimeout(now.UnixNano())
		return true, old
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	x := t.begin(now, false)
	old := x.cur[f.Table].findExact(&f.Match, f.Priority)
	switch {
	case old != nil && sameLearned(old, f):
		old.RestartHardTimeout(now.UnixNano())
		return true, old
	case old != nil:
		// As OVS's modify-strict: actions and cookie change; timeouts,
		// importance, flags, counters and creation time stay.
		nf := x.prepare(f)
		nf.Created, nf.seq = old.Created, old.seq
		nf.IdleTimeout, nf.HardTimeout, nf.Importance, nf.Flags = old.IdleTimeout, old.HardTimeout, old.Importance, old.Flags
		nf.copyStats(old)
		x.swap(old, nf)
	case limit != 0 && x.countCookie(f.Table, f.Cookie) >= int(limit):
		return false, nil
	default:
		if x.makeRoom(f.Table) != nil {
			return false, nil
		}
		x.insert(x.prepare(f))
	}
	x.commit()
	return true, nil
}

// RestartHardTimeout counts the flow's hard timeout from now (unix
// nanoseconds), as learning it again does.
func (f *Flow) RestartHardTimeout(now int64) { f.modified.Store(now) }
