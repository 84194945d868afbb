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
