package datapath

import (
	"time"

	"github.com/gvs-project/gvs/flowtable"
)

// actions runs one flow's action list: each action translates itself
// against x, the flowtable.Translator below. table is the table the flow
// is in.
func (x *xlate) actions(acts []flowtable.Action, table uint8) {
	outer := x.table
	x.table = table
	for _, a := range acts {
		if x.exit {
			break
		}
		x.trace.action(x.depth, a)
		if x.exactWC {
			var rw flowtable.FieldSet
			a.Access(&rw, &rw)
			rw.AddTo(&x.wc)
		}
		// The control-flow actions of every pipeline (and ct, a large
		// value) are dispatched directly, saving two indirect calls each; every other action,
		// and these too in meaning, is what its Translate says.
		switch a := a.(type) {
		case flowtable.Output:
			x.output(a.Port)
			continue
		case flowtable.Resubmit:
			x.Resubmit(a.InPort, a.Table)
			continue
		case flowtable.GotoTable:
			x.Resubmit(flowtable.PortInPort, a.Table)
			continue
		case flowtable.CT:
			x.conntrack(a)
			continue
		}
		if !a.Translate(&x.key, x) {
			break
		}
	}
	x.table = outer
}

// xlate is the flowtable.Translator the actions run against.
var _ flowtable.Translator = (*xlate)(nil)

// Output sends the packet to port n; see output.
func (x *xlate) Output(n flowtable.Port) { x.output(n) }

// Controller sends a packet-in with the action's reason and max_len.
func (x *xlate) Controller(c flowtable.Controller) { x.controller(c) }

// Resubmit runs a resubmit or goto_table from the running flow's table.
func (x *xlate) Resubmit(in flowtable.Port, table uint8) {
	if table == flowtable.TableCurrent {
		table = x.table
	}
	x.recurse(in, table, x.table)
}

// PushVLAN records the TPID the next commit pushes a tag with.
func (x *xlate) PushVLAN(tpid uint16) { x.tpid = tpid }

// Learn adds or refreshes the flow l builds from the key, except in a dry
// run (trace). This is the one action that allocates: it creates a flow
// (a flow cache hit does not: it refreshes the flow found unchanged).
func (x *xlate) Learn(l flowtable.Learn) {
	ok := true // a trace assumes learning succeeds
	if !x.dryRun {
		var refreshed *flowtable.Flow
		ok, refreshed = x.bridge.Flows.Learn(l.Flow(&x.key), l.Limit, time.Unix(0, x.now))
		switch {
		case !x.caching:
		case refreshed != nil:
			x.cache.refreshes = append(x.cache.refreshes, refreshed) // a hit refreshes it again
		case ok:
			x.cache.off = true // a new flow: the tables change, and this translation with them
		}
	}
	if r := l.Result; r.Bits == 1 {
		v := uint64(0)
		if ok {
			v = 1
		}
		x.key.SetBits(flowtable.FieldByID(r.Field), r.Ofs, 1, flowtable.Value{Lo: v})
	}
}

// Conntrack runs a ct action; see conntrack.
func (x *xlate) Conntrack(c flowtable.CT) { x.conntrack(c) }

// FinTimeout lowers the running flow's timeouts; a translation that does
// is not cached (a hit would not lower them).
func (x *xlate) FinTimeout(ft flowtable.FinTimeout) {
	x.cache.off = true
	if !x.dryRun && x.flow != nil {
		x.bridge.Flows.LowerTimeouts(x.flow, ft.Idle, ft.Hard)
	}
}

// TTLExceeded drops the packet for dec_ttl. As in Open vSwitch, only the
// running flow's actions stop; the caller goes on.
func (x *xlate) TTLExceeded() {
	x.trace.note(x.depth, "dec_ttl: TTL exceeded, packet dropped")
	x.drop = DropTTL
}
