package datapath

import (
	"strings"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/flowtable"
)

// NewConntrack returns the connection tracker gvsd and gvsd replay give
// the datapath: Open vSwitch's defaults.
func NewConntrack() *conntrack.Tracker { return conntrack.New(conntrack.Config{}) }

var ctStateNames = [...]string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

// ctStateString prints ct_state bits as "+new+trk".
func ctStateString(st uint64) string {
	if st == 0 {
		return "0"
	}
	var b strings.Builder
	for i, n := range ctStateNames {
		if st&(1<<i) != 0 {
			b.WriteString("+")
			b.WriteString(n)
		}
	}
	return b.String()
}

// traceCT reports the result of a ct lookup in the trace.
func (w *Worker) traceCT(a *flowtable.CT, k *flowtable.Key) {
	if w.Trace == nil {
		return
	}
	what := "lookup"
	if a.Commit {
		what = "commit"
	}
	w.tracef("ct(%s): state=%s zone=%d mark=%#x label=%#x\n", what, ctStateString(k.Get(fCTState).Lo),
		k.Get(fCTZone).Lo, k.Get(fCTMark).Lo, k.Get(fCTLabel).Lo)
}
