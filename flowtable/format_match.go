package flowtable

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// matchWriter accumulates "name=value," elements.
type matchWriter struct{ b strings.Builder }

func (w *matchWriter) kv(name, val string) {
	w.b.WriteString(name)
	w.b.WriteByte('=')
	w.b.WriteString(val)
	w.b.WriteByte(',')
}

func (w *matchWriter) word(s string) {
	w.b.WriteString(s)
	w.b.WriteByte(',')
}

// hexMasked prints value[/mask] in hex, the mask only when partial
// (Open vSwitch's format_uint32_masked and format_be64_masked).
func (w *matchWriter) hexMasked(name string, v, m, full Value) {
	if m.IsZero() {
		return
	}
	s := hex128(v)
	if m != full {
		s += "/" + hex128(m)
	}
	w.kv(name, s)
}

// decMasked prints a 16-bit field: decimal when exact, hex value/mask
// otherwise (format_be16_masked).
func (w *matchWriter) decMasked(name string, v, m, full uint64) {
	if m == 0 {
		return
	}
	if m == full {
		w.kv(name, strconv.FormatUint(v, 10))
		return
	}
	w.kv(name, fmt.Sprintf("0x%x/0x%x", v, m))
}

// dec16Masked is format_uint16_masked: decimal value, hex mask.
func (w *matchWriter) dec16Masked(name string, v, m, full uint64) {
	if m == 0 {
		return
	}
	s := strconv.FormatUint(v, 10)
	if m != full {
		s += "/0x" + strconv.FormatUint(m, 16)
	}
	w.kv(name, s)
}

func (w *matchWriter) mac(name string, vm [2]uint64) {
	v, m := vm[0], vm[1]
	if m == 0 {
		return
	}
	s := macString(v)
	if m != 0xffffffffffff {
		s += "/" + macString(m)
	}
	w.kv(name, s)
}

func (w *matchWriter) ip4(name string, vm [2]uint64) {
	v, m := vm[0], vm[1]
	if m == 0 {
		return
	}
	s := ip4String(v)
	if m != 0xffffffff {
		if n, ok := isPrefix(m, 32); ok {
			s += "/" + strconv.Itoa(n)
		} else {
			s += "/" + ip4String(m)
		}
	}
	w.kv(name, s)
}

func (w *matchWriter) ip6(name string, v, m Value) {
	if m.IsZero() {
		return
	}
	s := ip6String(v)
	if m != OnesValue(128) {
		if n, ok := prefixLen128(m); ok {
			s += "/" + strconv.Itoa(n)
		} else {
			s += "/" + ip6String(m)
		}
	}
	w.kv(name, s)
}

func prefixLen128(m Value) (int, bool) {
	n := bits.OnesCount64(m.Hi) + bits.OnesCount64(m.Lo)
	return n, prefixMask128(n) == m
}

// flags prints +a-b for the masked bits of a flag field, in bit order.
func (w *matchWriter) flags(name string, v, m uint64, names []string) {
	if m == 0 {
		return
	}
	var s strings.Builder
	for i := 0; i < 64 && m>>uint(i) != 0; i++ {
		bit := uint64(1) << uint(i)
		if m&bit == 0 {
			continue
		}
		if v&bit != 0 {
			s.WriteByte('+')
		} else {
			s.WriteByte('-')
		}
		s.WriteString(flagName(names, i))
	}
	w.kv(name, s.String())
}

func (m *Match) get(id FieldID) (v, mask Value) { return m.Get(&fields[id]) }

// lo2 returns the low words of a field's value and mask.
func lo2(m *Match, id FieldID) [2]uint64 {
	v, mk := m.get(id)
	return [2]uint64{v.Lo, mk.Lo}
}

// formatMatch prints the match in the order and spelling of Open vSwitch's
// match_format(), so dumps of gvs and OVS can be diffed line for line.
func formatMatch(m *Match, priority uint16, o *FormatOptions) string {
	w := &matchWriter{}
	if priority != DefaultPriority {
		w.kv("priority", strconv.Itoa(int(priority)))
	}
	w.conntrack(m)
	skipType, skipProto := w.protocol(m)
	w.pipeline(m, o)
	formatVLAN(w, m)
	w.mac("dl_src", lo2(m, FieldEthSrc))
	w.mac("dl_dst", lo2(m, FieldEthDst))
	if !skipType {
		if tv, tm := m.lo(FieldEthType); tm != 0 {
			w.kv("dl_type", fmt.Sprintf("0x%04x", tv))
		}
	}
	w.l3(m, skipProto)
	w.l4(m)
	return strings.TrimSuffix(w.b.String(), ",")
}

// lo returns the low words of a field's value and mask.
func (m *Match) lo(id FieldID) (uint64, uint64) {
	v, mk := m.get(id)
	return v.Lo, mk.Lo
}

func full(id FieldID) Value { return fields[id].FullMask() }

// conntrack prints pkt_mark, conj_id and the ct_* fields, which OVS prints
// first.
func (w *matchWriter) conntrack(m *Match) {
	v, mk := m.get(FieldPktMark)
	w.hexMasked("pkt_mark", v, mk, full(FieldPktMark))
	if cv, cm := m.lo(FieldConjID); cm != 0 {
		w.kv("conj_id", strconv.FormatUint(cv, 10))
	}
	if sv, sm := m.lo(FieldCTState); sm != 0 {
		w.flags("ct_state", sv, sm, ctStateFlags)
	}
	zv, zm := m.lo(FieldCTZone)
	w.dec16Masked("ct_zone", zv, zm, 0xffff)
	v, mk = m.get(FieldCTMark)
	w.hexMasked("ct_mark", v, mk, full(FieldCTMark))
	v, mk = m.get(FieldCTLabel)
	w.hexMasked("ct_label", v, mk, full(FieldCTLabel))
}

// protocol prints the protocol keyword an exact dl_type (and nw_proto)
// has (ip, tcp6, arp...), and says whether dl_type and nw_proto are thus
// printed.
func (w *matchWriter) protocol(m *Match) (skipType, skipProto bool) {
	if !m.IsExact(fEthType) {
		return false, false
	}
	et := m.EthType()
	proto, hasProto := m.IPProto()
	switch et {
	case EthTypeIPv4, EthTypeIPv6:
		names := map[uint8]string{ProtoICMP: "icmp", ProtoTCP: "tcp", ProtoUDP: "udp", ProtoSCTP: "sctp"}
		if et == EthTypeIPv6 {
			names = map[uint8]string{ProtoICMPv6: "icmp6", ProtoTCP: "tcp6", ProtoUDP: "udp6", ProtoSCTP: "sctp6"}
		}
		if n, ok := names[proto]; hasProto && ok {
			w.word(n)
			skipProto = true
		} else if et == EthTypeIPv4 {
			w.word("ip")
		} else {
			w.word("ipv6")
		}
	case EthTypeRARP:
		w.word("rarp")
	case EthTypeARP:
		w.word("arp")
	case 0x8847:
		w.word("mpls")
	case 0x8848:
		w.word("mplsm")
	default:
		return false, false
	}
	return true, skipProto
}

// pipeline prints the registers, tunnel, metadata and in_port.
func (w *matchWriter) pipeline(m *Match, o *FormatOptions) {
	for i := 0; i < 16; i++ {
		v, mk := m.get(FieldReg0 + FieldID(i))
		w.hexMasked("reg"+strconv.Itoa(i), v, mk, full(FieldReg0))
	}
	v, mk := m.get(FieldTunID)
	w.hexMasked("tun_id", v, mk, full(FieldTunID))
	w.ip4("tun_src", lo2(m, FieldTunSrc))
	w.ip4("tun_dst", lo2(m, FieldTunDst))
	v, mk = m.get(FieldMetadata)
	w.hexMasked("metadata", v, mk, full(FieldMetadata))
	if pv, pm := m.lo(FieldInPort); pm != 0 {
		w.kv("in_port", o.port(Port(pv)))
	}
}

// l3 prints the network addresses (IPv6, ARP or IPv4), nw_proto or arp_op
// unless the protocol keyword said it, the ARP hardware addresses and the
// IP TOS, ECN, TTL and fragment fields.
func (w *matchWriter) l3(m *Match, skipProto bool) {
	et := m.EthType()
	isARP := m.IsExact(fEthType) && (et == EthTypeARP || et == EthTypeRARP)
	switch {
	case m.IsExact(fEthType) && et == EthTypeIPv6:
		v, mk := m.get(FieldIPv6Src)
		w.ip6("ipv6_src", v, mk)
		v, mk = m.get(FieldIPv6Dst)
		w.ip6("ipv6_dst", v, mk)
		if lv, lm := m.lo(FieldIPv6Label); lm != 0 {
			s := fmt.Sprintf("0x%05x", lv)
			if lm != 0xfffff {
				s += fmt.Sprintf("/0x%05x", lm)
			}
			w.kv("ipv6_label", s)
		}
	case isARP:
		w.ip4("arp_spa", lo2(m, FieldARPSPA))
		w.ip4("arp_tpa", lo2(m, FieldARPTPA))
	default:
		w.ip4("nw_src", lo2(m, FieldIPv4Src))
		w.ip4("nw_dst", lo2(m, FieldIPv4Dst))
	}
	if pv, pm := m.lo(FieldIPProto); !skipProto && pm != 0 {
		if isARP {
			w.kv("arp_op", strconv.FormatUint(pv, 10))
		} else {
			w.kv("nw_proto", strconv.FormatUint(pv, 10))
		}
	}
	if isARP {
		w.mac("arp_sha", lo2(m, FieldARPSHA))
		w.mac("arp_tha", lo2(m, FieldARPTHA))
	}
	if tv, tm := m.lo(FieldIPTOS); tm != 0 {
		w.kv("nw_tos", strconv.FormatUint(tv, 10))
	}
	if ev, em := m.lo(FieldIPECN); em != 0 {
		w.kv("nw_ecn", strconv.FormatUint(ev, 10))
	}
	if tv, tm := m.lo(FieldIPTTL); tm != 0 {
		w.kv("nw_ttl", strconv.FormatUint(tv, 10))
	}
	if fv, fm := m.lo(FieldIPFrag); fm != 0 {
		w.kv("nw_frag", fragString(fv, fm))
	}
}

// l4 prints ICMP type and code with the ND fields, or the transport
// ports, and the TCP flags.
func (w *matchWriter) l4(m *Match) {
	et := m.EthType()
	proto, hasProto := m.IPProto()
	switch {
	case m.IsExact(fEthType) && et == EthTypeIPv4 && hasProto && proto == ProtoICMP,
		m.IsExact(fEthType) && et == EthTypeIPv6 && hasProto && proto == ProtoICMPv6:
		if tv, tm := m.lo(FieldICMPType); tm != 0 {
			w.kv("icmp_type", strconv.FormatUint(tv, 10))
		}
		if cv, cm := m.lo(FieldICMPCode); cm != 0 {
			w.kv("icmp_code", strconv.FormatUint(cv, 10))
		}
		if et == EthTypeIPv6 {
			v, mk := m.get(FieldNDTarget)
			w.ip6("nd_target", v, mk)
			w.mac("nd_sll", lo2(m, FieldNDSLL))
			w.mac("nd_tll", lo2(m, FieldNDTLL))
		}
	default:
		sv, sm := m.lo(FieldTCPSrc)
		w.decMasked("tp_src", sv, sm, 0xffff)
		dv, dm := m.lo(FieldTCPDst)
		w.decMasked("tp_dst", dv, dm, 0xffff)
	}
	if fv, fm := m.lo(FieldTCPFlags); fm != 0 && hasProto && proto == ProtoTCP {
		w.tcpFlags(fv, fm)
	}
}

// tcpFlags prints tcp_flags: an exact match as the flags that are set,
// others as +flag-flag.
func (w *matchWriter) tcpFlags(fv, fm uint64) {
	if fm != 0xfff {
		w.flags("tcp_flags", fv, fm, tcpFlagNames)
		return
	}
	var names []string
	for i := 0; i < 12; i++ {
		if fv&(1<<uint(i)) != 0 {
			names = append(names, flagName(tcpFlagNames, i))
		}
	}
	if len(names) == 0 {
		names = []string{"0"}
	}
	w.kv("tcp_flags", strings.Join(names, "|"))
}

// formatVLAN prints the vlan_tci constraint as dl_vlan/dl_vlan_pcp where
// it means "tagged with", or as vlan_tci otherwise.
func formatVLAN(w *matchWriter, m *Match) {
	v, mk := m.Get(fVLANTCI)
	tci, mask := v.Lo, mk.Lo
	if mask == 0 {
		return
	}
	vid, pcp, cfi := mask&0x0fff, mask&0xe000, mask&0x1000
	if cfi != 0 && tci&0x1000 != 0 && (vid == 0 || vid == 0x0fff) && (pcp == 0 || pcp == 0xe000) && (vid != 0 || pcp != 0) {
		if vid != 0 {
			w.kv("dl_vlan", strconv.FormatUint(tci&0xfff, 10))
		}
		if pcp != 0 {
			w.kv("dl_vlan_pcp", strconv.FormatUint(tci>>13, 10))
		}
		return
	}
	if mask == 0xffff {
		w.kv("vlan_tci", fmt.Sprintf("0x%04x", tci))
		return
	}
	w.kv("vlan_tci", fmt.Sprintf("0x%04x/0x%04x", tci, mask))
}

func fragString(v, m uint64) string {
	switch m {
	case fragAny | fragLater:
		switch v {
		case 0:
			return "no"
		case fragAny:
			return "first"
		default:
			return "later"
		}
	case fragAny:
		if v == 0 {
			return "no"
		}
		return "yes"
	default:
		if v == 0 {
			return "not_later"
		}
		return "later"
	}
}

// flagName names bit i of a flag field, or "[hex]" for a bit without a
// name, as Open vSwitch prints it.
func flagName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("[%x]", uint64(1)<<uint(i))
}
