package datapath

import (
	"fmt"
	"strings"

	"github.com/gvs-project/gvs/flowtable"
)

// tracer records a traversal in the shape of `ovs-appctl ofproto/trace`:
// a block per bridge, a line per table lookup with the matched flow and its
// priority, the actions executed indented beneath it, and notes prefixed
// with "->". A nil *tracer records nothing, so the per-packet path only
// pays a nil check when tracing is off.
type tracer struct {
	b strings.Builder
}

func newTracer(k *flowtable.Key, table uint8) *tracer {
	t := &tracer{}
	fmt.Fprintf(&t.b, "Flow: %s\n", FormatKey(k))
	if table != 0 {
		fmt.Fprintf(&t.b, "\n%s\nrecirculation - resume in table %d with conntrack state set\n%s\n",
			strings.Repeat("=", 79), table, strings.Repeat("=", 79))
	}
	return t
}

func indent(depth int) string { return strings.Repeat("    ", depth) }

func (t *tracer) bridge(b *Bridge) {
	if t == nil {
		return
	}
	h := fmt.Sprintf("bridge(%q)", b.Name)
	fmt.Fprintf(&t.b, "\n%s\n%s\n", h, strings.Repeat("-", len(h)))
}

func (t *tracer) resume(depth int, b *Bridge) {
	if t == nil {
		return
	}
	fmt.Fprintf(&t.b, "%s(back in bridge %q)\n", indent(depth), b.Name)
}

func (t *tracer) flow(depth int, table uint8, f *flowtable.Flow) {
	if t == nil {
		return
	}
	m := flowtable.FormatMatch(&f.Match, flowtable.DefaultPriority)
	if m == "" {
		fmt.Fprintf(&t.b, "%s%2d. priority %d\n", indent(depth), table, f.Priority)
	} else {
		fmt.Fprintf(&t.b, "%s%2d. %s, priority %d\n", indent(depth), table, m, f.Priority)
	}
	if len(f.Actions) == 0 {
		fmt.Fprintf(&t.b, "%s    drop\n", indent(depth))
	}
}

func (t *tracer) miss(depth int, table uint8) {
	if t == nil {
		return
	}
	fmt.Fprintf(&t.b, "%s%2d. No match.\n%s    drop\n", indent(depth), table, indent(depth))
}

func (t *tracer) action(depth int, a flowtable.Action) {
	if t == nil {
		return
	}
	fmt.Fprintf(&t.b, "%s    %s\n", indent(depth), flowtable.FormatActions([]flowtable.Action{a}, flowtable.FormatOptions{Exact: true}))
}

func (t *tracer) note(depth int, s string) {
	if t == nil {
		return
	}
	fmt.Fprintf(&t.b, "%s     -> %s\n", indent(depth), s)
}

func (t *tracer) recirc(depth int, table uint8) {
	if t == nil {
		return
	}
	t.note(depth, fmt.Sprintf("A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table %d.", table))
}

// finish appends the final flow, the drop reason and the datapath
// operations, and returns the whole text.
func (t *tracer) finish(x *xlate) string {
	fmt.Fprintf(&t.b, "\nFinal flow: %s\n", FormatKey(&x.key))
	if x.drop != DropNone {
		fmt.Fprintf(&t.b, "Drop reason: %s\n", x.drop)
	}
	fmt.Fprintf(&t.b, "Datapath actions: %s\n", formatOps(x.ops))
	return t.b.String()
}

func (w *Worker) tracef(format string, args ...any) {
	if w.Trace != nil {
		w.Trace(fmt.Sprintf(format, args...))
	}
}

// FormatKey prints a packet key the way ofproto/trace prints a flow: the
// fields Open vSwitch's flow_format shows for such a packet, in match
// syntax (checked against OVS by extract_ovs_test.go).
func FormatKey(k *flowtable.Key) string {
	var m flowtable.Match
	m.Value = *k
	set := func(fs ...*flowtable.Field) {
		for _, f := range fs {
			m.Mask.Set(f, f.FullMask())
		}
	}
	set(fInPort, fEthSrc, fEthDst, fEthType, fVLANTCI)
	proto := uint8(k.Get(fIPProto).Lo)
	tpSrc, tpDst := k.Get(fTPSrc).Lo, k.Get(fTPDst).Lo
	ip := true
	switch k.Get(fEthType).Lo {
	case ethTypeIPv4:
		set(fIPv4Src, fIPv4Dst)
	case ethTypeIPv6:
		set(fIPv6Src, fIPv6Dst, fIPv6Label)
		if proto == protoICMPv6 && (tpSrc == ndSolicit || tpSrc == ndAdvert) && tpDst == 0 {
			set(fNDTarget, fARPSHA, fARPTHA)
		}
	case ethTypeARP, ethTypeRARP:
		set(fIPv4Src, fIPv4Dst, fIPProto, fARPSHA, fARPTHA)
		ip = false
	case 0x894f:
		// NSH: OVS shows the nsh_* fields, which gvs does not model, and
		// then the IP fields, which are always absent (zero) for it.
	default:
		ip = false
	}
	if ip {
		set(fIPFrag, fIPTOS, fIPECN, fIPTTL, fIPProto)
		if k.Get(fIPFrag).Lo&ipFragLater == 0 {
			switch proto {
			case protoTCP:
				set(fTPSrc, fTPDst, fTCPFlags)
			case protoUDP, protoSCTP, protoICMP, protoICMPv6, protoIGMP:
				set(fTPSrc, fTPDst)
			}
		}
	}
	for i := range m.Value {
		m.Value[i] &= m.Mask[i]
	}
	return flowtable.FormatMatch(&m, flowtable.DefaultPriority)
}

// formatOps prints datapath operations in the spirit of OVS's datapath
// actions ("set(eth(src=…)),pop_vlan,vm1"), with port names for outputs.
func formatOps(ops []op) string {
	if len(ops) == 0 {
		return "drop"
	}
	var s []string
	for _, o := range ops {
		switch o.kind {
		case opOutput:
			s = append(s, o.port.Name)
		case opPushVLAN:
			s = append(s, fmt.Sprintf("push_vlan(tpid=0x%04x,vid=%d,pcp=%d)", o.a, o.b&0xfff, o.b>>13))
		case opPopVLAN:
			s = append(s, "pop_vlan")
		case opSetVLAN:
			s = append(s, fmt.Sprintf("set(vlan(vid=%d,pcp=%d))", o.b&0xfff, o.b>>13))
		case opSetEth:
			s = append(s, fmt.Sprintf("set(eth(src=%s,dst=%s))", macString(o.a), macString(o.b)))
		case opSetIPv4:
			s = append(s, fmt.Sprintf("set(ipv4(src=%s,dst=%s,tos=0x%x,ttl=%d))", ip4String(uint32(o.a>>32)), ip4String(uint32(o.a)), o.b>>8, o.b&0xff))
		case opSetIPv6:
			s = append(s, "set(ipv6(...))")
		case opSetL4:
			s = append(s, fmt.Sprintf("set(l4(src=%d,dst=%d))", o.a, o.b))
		case opSetARP:
			s = append(s, fmt.Sprintf("set(arp(op=%d,sip=%s,tip=%s,sha=%s,tha=%s))", o.a, ip4String(uint32(o.b>>32)), ip4String(uint32(o.b)), macString(o.c), macString(o.d)))
		case opSetNDTarget:
			s = append(s, "set(nd(target=...))")
		case opCT:
			s = append(s, "ct,recirc")
		case opController:
			s = append(s, fmt.Sprintf("controller(table=%d,cookie=%#x)", o.b, o.c))
		}
	}
	return strings.Join(s, ",")
}

func macString(v uint64) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func ip4String(v uint32) string {
	return fmt.Sprintf("%d.%d.%d.%d", byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
