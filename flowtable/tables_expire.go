package flowtable

import "time"

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
		if tb == nil || tb.nTimed == 0 && !t.lowered.Load() {
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

func expired(f *Flow, now int64) bool { return now >= expiresAt(f) }

// never is expiresAt's answer for a flow without timeouts.
const never = int64(1<<63 - 1)

// expiresAt is when f would expire if nothing hit it again, by the
// timeouts in effect (never without any).
func expiresAt(f *Flow) int64 {
	const sec = int64(time.Second)
	at := never
	idle, hard := f.Timeouts()
	if hard != 0 {
		at = f.modified.Load() + int64(hard)*sec
	}
	if idle != 0 {
		last := f.used.Load()
		if last == 0 {
			last = f.Created.UnixNano()
		}
		at = min(at, last+int64(idle)*sec)
	}
	return at
}

// LowerTimeouts runs a fin_timeout action of flow f (see Flow.Timeouts):
// its timeouts drop to idle and hard seconds where that is lower. A flow
// without timeouts that gets one is then expired like the others.
func (t *Tables) LowerTimeouts(f *Flow, idle, hard uint16) {
	if idle == 0 && hard == 0 {
		return
	}
	f.lowerTimeouts(idle, hard)
	t.lowered.Store(true)
}
