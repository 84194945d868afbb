package datapath

import (
	"time"

	"github.com/gvs-project/gvs/flowtable"
)

// actions runs one flow's action list. table is the table the flow is in.
func (x *xlate) actions(acts []flowtable.Action, table uint8) {
	k := &x.key
	for _, a := range acts {
		if x.exit {
			return
		}
		x.trace.action(x.depth, a)
		switch a := a.(type) {
		case flowtable.Output:
			x.output(a.Port)
		case flowtable.OutputReg:
			x.output(flowtable.Port(k.GetBits(flowtable.FieldByID(a.Src.Field), a.Src.Ofs, a.Src.Bits).Lo))
		case flowtable.Controller:
			x.output(flowtable.PortController)
		case flowtable.Resubmit:
			t := a.Table
			if t == flowtable.TableCurrent {
				t = table
			}
			x.recurse(a.InPort, t, table)
		case flowtable.GotoTable:
			x.recurse(flowtable.PortInPort, a.Table, table)
		case flowtable.SetVLANVID:
			tci := uint16(k.Get(fVLANTCI).Lo)
			if tci&vlanPresent == 0 {
				if !a.Push {
					continue
				}
				tci = vlanPresent
			}
			k.Set(fVLANTCI, u64(uint64(tci&^0xfff|a.VID&0xfff)))
		case flowtable.SetVLANPCP:
			tci := uint16(k.Get(fVLANTCI).Lo)
			if tci&vlanPresent == 0 {
				if !a.Push {
					continue
				}
				tci = vlanPresent
			}
			k.Set(fVLANTCI, u64(uint64(tci&^0xe000|uint16(a.PCP&7)<<13)))
		case flowtable.StripVLAN:
			k.Set(fVLANTCI, flowtable.Value{})
		case flowtable.PushVLAN:
			// With one tag in the key, a push on an untagged packet adds
			// VID 0; on a tagged one the outer tag is replaced by a copy.
			x.tpid = a.Ethertype
			tci := uint16(k.Get(fVLANTCI).Lo)
			k.Set(fVLANTCI, u64(uint64(tci|vlanPresent)))
		case flowtable.SetEthAddr:
			f := fEthSrc
			if a.Dst {
				f = fEthDst
			}
			k.Set(f, u64(mac48(a.MAC[:])))
		case flowtable.SetIPv4Addr:
			f := fIPv4Src
			if a.Dst {
				f = fIPv4Dst
			}
			k.Set(f, u64(uint64(be32(a.Addr[:]))))
		case flowtable.SetIPTOS:
			k.Set(fIPTOS, u64(uint64(a.TOS)))
		case flowtable.SetIPECN:
			k.Set(fIPECN, u64(uint64(a.ECN)))
		case flowtable.SetIPTTL:
			k.Set(fIPTTL, u64(uint64(a.TTL)))
		case flowtable.SetL4Port:
			f := fTPSrc
			if a.Dst {
				f = fTPDst
			}
			k.Set(f, u64(uint64(a.Port)))
		case flowtable.DecTTL:
			if et := k.Get(fEthType).Lo; et != ethTypeIPv4 && et != ethTypeIPv6 {
				continue // not IP: nothing to decrement, as OVS
			}
			ttl := k.Get(fIPTTL).Lo
			if ttl <= 1 {
				// OVS stops this flow's actions only; the caller goes on.
				x.trace.note(x.depth, "dec_ttl: TTL exceeded, packet dropped")
				x.drop = DropTTL
				return
			}
			k.Set(fIPTTL, u64(ttl-1))
		case flowtable.SetField:
			f := flowtable.FieldByID(a.Field)
			if a.Field == flowtable.FieldVLANVID && k.Get(fVLANTCI).Lo&vlanPresent == 0 {
				continue // OpenFlow set_field on vlan_vid needs a tag
			}
			k.SetMasked(f, a.Value, a.Mask)
		case flowtable.Move:
			src, dst := flowtable.FieldByID(a.Src.Field), flowtable.FieldByID(a.Dst.Field)
			k.SetBits(dst, a.Dst.Ofs, a.Dst.Bits, k.GetBits(src, a.Src.Ofs, a.Src.Bits))
		case flowtable.SetTunnel:
			k.Set(fTunID, u64(a.ID))
		case flowtable.Learn:
			if !x.dryRun {
				x.learn(&a)
			}
		case flowtable.CT:
			x.conntrack(a)
		case flowtable.CTClear:
			clearCT(k)
		case flowtable.Conjunction, flowtable.Note:
			// A conjunction flow is never executed; notes do nothing.
		}
	}
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

// Conntrack is the connection tracker the ct action uses. It is defined
// here, where it is consumed; package conntrack implements it.
type Conntrack interface {
	// Execute runs one ct action on frame (whose parsed key is key), setting
	// the key's ct_state, ct_zone, ct_mark and ct_label.
	Execute(a *flowtable.CT, frame []byte, key *flowtable.Key, now int64)
}

// recirc is a traversal to resume after the datapath has run ct on the
// packet: Open vSwitch's recirculation.
type recirc struct {
	key    flowtable.Key // the flow at the ct action (registers included)
	ct     flowtable.CT  // a copy, so that the per-packet path does not allocate
	table  uint8
	bridge *Bridge // the bridge whose table the traversal resumes in
}

// conntrack runs a ct action the way Open vSwitch does: pending changes are
// committed to the frame, the datapath will send it through the tracker,
// and with table=N a copy resumes in table N with the conntrack fields set
// (recirculation). The original continues with the rest of the actions as
// an untracked packet.
func (x *xlate) conntrack(a flowtable.CT) {
	x.commit()
	x.recircs = append(x.recircs, recirc{key: x.key, ct: a, table: a.Table, bridge: x.bridge})
	x.ops = append(x.ops, op{kind: opCT, a: uint64(len(x.recircs) - 1)})
	if a.Table != flowtable.TableCurrent {
		x.forks++ // the copy resumes in a.Table: not a drop
		x.trace.recirc(x.depth, a.Table)
	}
	// The rest of the actions see an untracked packet (checked against
	// Open vSwitch 3.1: ct_state reads 0 after ct(commit)).
	clearCT(&x.key)
}
