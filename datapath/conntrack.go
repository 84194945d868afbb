package datapath

import (
	"fmt"
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

// traceRecircs continues a dry-run trace through the recirculations that
// ct(table=N) actions asked for, as ofproto/trace does without --ct-next:
// the tracker is not consulted (nothing is committed) and the resumed
// packet has ct_state=new|trk in the action's zone.
func (w *Worker) traceRecircs(rcs []recirc) string {
	var b strings.Builder
	x := &w.x
	for i := 0; i < len(rcs) && i < maxRecirc; i++ {
		rc := rcs[i]
		if rc.table == flowtable.TableCurrent {
			continue
		}
		key := rc.key
		zone := uint64(rc.ct.Zone)
		if rc.ct.ZoneSrc.Field != flowtable.FieldNone {
			zone = key.GetBits(flowtable.FieldByID(rc.ct.ZoneSrc.Field), rc.ct.ZoneSrc.Ofs, rc.ct.ZoneSrc.Bits).Lo
		}
		clearCT(&key)
		key.Set(fCTState, u64(conntrack.StateNew|conntrack.StateTrk))
		key.Set(fCTZone, u64(zone))
		fmt.Fprintf(&b, "\nct(table=%d) is not run by a trace: resuming with default ct_state=+new+trk zone=%d\n", rc.table, zone)
		x.reset(&key, rc.bridge, 0, w.Now())
		x.dryRun = true
		x.trace = newTracer(&key, rc.table)
		x.run(rc.table)
		b.WriteString(x.trace.finish(x))
		rcs = append(rcs, x.recircs...)
	}
	return b.String()
}
