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
		if !a.Translate(x) {
			break
		}
	}
	x.table = outer
}

// xlate is the flowtable.Translator the actions run against.
var _ flowtable.Translator = (*xlate)(nil)

// Key returns the packet as the actions so far leave it.
func (x *xlate) Key() *flowtable.Key { return &x.key }

// Output sends the packet to port n; see output.
func (x *xlate) Output(n flowtable.Port) { x.output(n) }

// Resubmit runs a resubmit or goto_table from the running flow's table.
func (x *xlate) Resubmit(in flowtable.Port, table uint8) {
	if table == flowtable.TableCurrent {
		table = x.table
	}
	x.recurse(in, table, x.table)
}

// PushVLAN records the TPID the next commit pushes a tag with.
func (x *xlate) PushVLAN(tpid uint16) { x.tpid = tpid }

// Learn runs a learn action, except in a dry run (trace).
func (x *xlate) Learn(l flowtable.Learn) {
	if !x.dryRun {
		x.learn(&l)
	}
}

// Conntrack runs a ct action; see conntrack.
func (x *xlate) Conntrack(c flowtable.CT) { x.conntrack(c) }

// TTLExceeded drops the packet for dec_ttl. As in Open vSwitch, only the
// running flow's actions stop; the caller goes on.
func (x *xlate) TTLExceeded() {
	x.trace.note(x.depth, "dec_ttl: TTL exceeded, packet dropped")
	x.drop = DropTTL
}

// learn builds the flow a learn action describes from the current key and
// adds or refreshes it. This is the one action that allocates: it creates a
// flow.
func (x *xlate) learn(l *flowtable.Learn) {
	f := &flowtable.Flow{
		Table: l.Table, Priority: l.Priority, Cookie: l.Cookie,
		IdleTimeout: l.IdleTimeout, HardTimeout: l.HardTimeout,
	}
	if l.SendFlowRem {
		f.Flags |= flowtable.FlagSendFlowRem
	}
	for _, s := range l.Specs {
		var v flowtable.Value
		if s.SrcIsImm {
			v = s.Imm
		} else {
			v = x.key.GetBits(flowtable.FieldByID(s.Src.Field), s.Src.Ofs, s.Src.Bits)
		}
		switch s.Kind {
		case flowtable.LearnMatch:
			f.Match.SetBits(flowtable.FieldByID(s.Dst.Field), s.Dst.Ofs, s.Dst.Bits, v)
		case flowtable.LearnLoad:
			dst := flowtable.FieldByID(s.Dst.Field)
			var m, val flowtable.Key
			m.SetBits(dst, s.Dst.Ofs, s.Dst.Bits, flowtable.OnesValue(s.Dst.Bits))
			val.SetBits(dst, s.Dst.Ofs, s.Dst.Bits, v)
			f.Actions = append(f.Actions, flowtable.SetField{Field: s.Dst.Field, Value: val.Get(dst), Mask: m.Get(dst), Load: true})
		case flowtable.LearnOutput:
			// As OVS: only a switch port or IN_PORT, FLOOD, LOCAL, ALL;
			// anything else (NORMAL, wider values) learns no output.
			if p := flowtable.Port(v.Lo); v.Hi == 0 && v.Lo <= 0xffff && (p < flowtable.PortMax ||
				p == flowtable.PortInPort || p == flowtable.PortFlood || p == flowtable.PortLocal || p == flowtable.PortAll) {
				f.Actions = append(f.Actions, flowtable.Output{Port: p})
			}
		}
	}
	x.bridge.Flows.Learn(f, time.Unix(0, x.now))
}
