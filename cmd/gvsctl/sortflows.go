package main

import (
	"fmt"
	"sort"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/flowtable"
)

// sortKey is one --sort or --rsort of dump-flows: a match field, or the
// priority when field is nil.
type sortKey struct {
	field *flowtable.Field
	desc  bool
}

// sortFlag is the pflag.Value behind --sort and --rsort: both append to
// the same list, so keys apply in command-line order, as in ovs-ofctl.
type sortFlag struct {
	keys *[]sortKey
	desc bool
}

func (f sortFlag) Type() string   { return "field" }
func (f sortFlag) String() string { return "" }

// Set adds the key named s: "priority" or any field a match may name.
func (f sortFlag) Set(s string) error {
	k, err := parseSortKey(s, f.desc)
	if err != nil {
		return err
	}
	*f.keys = append(*f.keys, k)
	return nil
}

// parseSortKey reads a sort field name.
func parseSortKey(name string, desc bool) (sortKey, error) {
	if name == "" || name == "priority" {
		return sortKey{desc: desc}, nil
	}
	f, ok := flowtable.FieldByName(name)
	if !ok {
		return sortKey{}, fmt.Errorf("%s is not a field to sort by (priority or a match field: nw_src, tcp_dst, ...)", name)
	}
	return sortKey{field: f, desc: desc}, nil
}

// sortedFlow is one dumped flow with what the sort keys compare: only
// the values of the keys' fields are kept, not the parsed flow, so that a
// sorted dump of a large table costs little more than its text.
type sortedFlow struct {
	line     string
	stats    *ctlpb.FlowStats // kept for -o json only
	priority uint32
	vals     []sortVal // one per key; zero for a priority key
}

// sortVal is a flow's value of a sort key's field, masked; has is false
// when the flow does not match on the field.
type sortVal struct {
	v   flowtable.Value
	has bool
}

// newSortedFlow pairs a dump line with its sort values, parsing the
// match only when a key names a field; keep holds on to fs.
func newSortedFlow(line string, fs *ctlpb.FlowStats, keys []sortKey, keep bool) (sortedFlow, error) {
	sf := sortedFlow{line: line, priority: fs.Priority}
	if keep {
		sf.stats = fs
	}
	var m *flowtable.Match
	for i, k := range keys {
		if k.field == nil {
			continue
		}
		if m == nil {
			fm, err := flowtable.ParseFlowWith(fs.Match, flowtable.CmdDelete, flowtable.ParseOptions{})
			if err != nil {
				return sf, fmt.Errorf("reading back dumped flow %q: %w", fs.Match, err)
			}
			m, sf.vals = &fm.Flow.Match, make([]sortVal, len(keys))
		}
		v, mask := m.Get(k.field)
		sf.vals[i] = sortVal{v: v, has: !mask.IsZero()}
	}
	return sf, nil
}

// sortFlows orders flows by keys as ovs-ofctl --sort/--rsort does: the
// first key that tells two flows apart decides; a flow that does not
// match on a key's field comes after every flow that does, in either
// direction; a masked field compares by its masked value. Ties keep dump
// order.
func sortFlows(flows []sortedFlow, keys []sortKey) {
	sort.SliceStable(flows, func(i, j int) bool {
		return compareFlows(&flows[i], &flows[j], keys) < 0
	})
}

func compareFlows(a, b *sortedFlow, keys []sortKey) int {
	for i, k := range keys {
		var c int
		if k.field == nil {
			c = cmpUint(uint64(a.priority), uint64(b.priority))
		} else {
			av, bv := a.vals[i], b.vals[i]
			if av.has != bv.has {
				if av.has {
					return -1
				}
				return 1
			}
			if !av.has {
				continue
			}
			if c = cmpUint(av.v.Hi, bv.v.Hi); c == 0 {
				c = cmpUint(av.v.Lo, bv.v.Lo)
			}
		}
		if c != 0 {
			if k.desc {
				return -c
			}
			return c
		}
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
