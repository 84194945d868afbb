package flowtable

import (
	"errors"
	"fmt"
)

// ErrTableFull is Apply's error for an add into a table at its flow limit
// that may not evict (OFPFMFC_TABLE_FULL).
var ErrTableFull = errors.New("flowtable: table is full")

// TableLimit bounds the flows of one table, as Open vSwitch's Flow_Table
// flow_limit and overflow_policy: at Max flows (0: no limit) a new flow is
// refused, or with Evict another one goes to make room. Eviction considers
// only flows with an idle or hard timeout; among them, those of the lowest
// importance, and of those the one that would expire soonest. (OVS's
// eviction "groups" are not supported: the table is one group.)
type TableLimit struct {
	Max   int
	Evict bool
}

// SetLimit sets table id's limit. Flows already beyond a lowered limit
// stay until they go; new ones wait for room.
func (t *Tables) SetLimit(id uint8, l TableLimit) {
	if int(id) >= NumTables {
		return
	}
	t.mu.Lock()
	t.limits[id] = l
	t.mu.Unlock()
}

// Limit returns table id's limit.
func (t *Tables) Limit(id uint8) TableLimit {
	if int(id) >= NumTables {
		return TableLimit{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limits[id]
}

// makeRoom makes room for one more flow in table id, evicting if the
// table's limit allows, or returns ErrTableFull.
func (x *txn) makeRoom(id uint8) error {
	l := x.t.limits[id]
	if l.Max <= 0 {
		return nil
	}
	for x.cur[id].len() >= l.Max {
		v := x.victim(id, l)
		if v == nil {
			return fmt.Errorf("table %d holds its limit of %d flows: %w", id, l.Max, ErrTableFull)
		}
		x.remove(v)
	}
	return nil
}

// victim chooses the flow to evict from table id, or nil.
func (x *txn) victim(id uint8, l TableLimit) *Flow {
	if !l.Evict {
		return nil
	}
	var best *Flow
	var bestAt int64
	x.each(id, func(f *Flow) {
		if !timed(f) {
			return // permanent flows are never evicted
		}
		at := expiresAt(f)
		if best == nil || f.Importance < best.Importance || f.Importance == best.Importance && at < bestAt {
			best, bestAt = f, at
		}
	})
	return best
}

// countCookie returns how many flows of table id have cookie c.
func (x *txn) countCookie(id uint8, c uint64) int {
	n := 0
	x.each(id, func(f *Flow) {
		if f.Cookie == c {
			n++
		}
	})
	return n
}

// fitsLimits reports ErrTableFull if a table would hold more flows than
// its limit after Replace(flows): a replacement evicts nothing of what it
// installs. Flows with the same table, match and priority count once.
// Callers hold t.mu.
func (t *Tables) fitsLimits(flows []*Flow) error {
	var n [NumTables]int
	for _, f := range flows {
		n[f.Table]++
	}
	for id, l := range t.limits {
		if l.Max > 0 && n[id] > l.Max {
			type entry struct {
				m   Match
				pri uint16
			}
			distinct := make(map[entry]bool, n[id])
			for _, f := range flows {
				if int(f.Table) == id {
					e := entry{f.Match, f.Priority}
					e.m.normalize()
					distinct[e] = true
				}
			}
			if len(distinct) > l.Max {
				return fmt.Errorf("table %d would hold %d flows, over its limit of %d: %w", id, len(distinct), l.Max, ErrTableFull)
			}
		}
	}
	return nil
}
