package flowtable

import "slices"

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
