package datapath

import (
	"strings"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/flowtable"
)

// NewConntrack returns a connection tracker with Open vSwitch's defaults.
func NewConntrack() *conntrack.Tracker { return conntrack.New(conntrack.Config{}) }

// NewConntrackFrom returns the connection tracker gvsd and gvsd replay
// give the datapath, configured by the conntrack section of the
// configuration (zero values: Open vSwitch's defaults).
func NewConntrackFrom(c config.Conntrack) *conntrack.Tracker {
	tm := c.Timeouts
	return conntrack.New(conntrack.Config{
		MaxEntries: c.MaxEntries, ZoneLimits: c.ZoneLimits, Liberal: c.TCPLiberal,
		Timeouts: conntrack.Timeouts{
			TCPFirstPacket: tm["tcp_first_packet"], TCPOpening: tm["tcp_opening"], TCPEstablished: tm["tcp_established"],
			TCPClosing: tm["tcp_closing"], TCPFinWait: tm["tcp_fin_wait"], TCPClosed: tm["tcp_closed"],
			OtherFirst: tm["other_first"], OtherMultiple: tm["other_multiple"], OtherBidir: tm["other_bidir"],
			ICMPFirst: tm["icmp_first"], ICMPReply: tm["icmp_reply"],
		},
	})
}

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
