package flowtable

import (
	"strings"
)

// shorthands are the protocol keywords of ovs-ofctl: dl_type and, for some,
// nw_proto.
var shorthands = map[string]struct {
	ethType uint16
	proto   int // -1: none
}{
	"ip": {EthTypeIPv4, -1}, "ipv4": {EthTypeIPv4, -1}, "ipv6": {EthTypeIPv6, -1},
	"icmp": {EthTypeIPv4, ProtoICMP}, "icmp6": {EthTypeIPv6, ProtoICMPv6},
	"tcp": {EthTypeIPv4, ProtoTCP}, "tcp6": {EthTypeIPv6, ProtoTCP},
	"udp": {EthTypeIPv4, ProtoUDP}, "udp6": {EthTypeIPv6, ProtoUDP},
	"sctp": {EthTypeIPv4, ProtoSCTP}, "sctp6": {EthTypeIPv6, ProtoSCTP},
	"arp": {EthTypeARP, -1}, "rarp": {EthTypeRARP, -1},
	"mpls": {0x8847, -1}, "mplsm": {0x8848, -1},
}

// prereqRec remembers a field the flow constrained, to check its
// prerequisite once the whole match is known (OVS accepts fields in any
// order).
type prereqRec struct {
	col    int
	tok    string
	name   string
	prereq Prereq
}

// Prerequisites used only by the parser's aliases.
const (
	prereqICMPAny    Prereq = 100 + iota // icmp_type/icmp_code: icmp or icmp6
	prereqProtoOrARP                     // nw_proto: ip, ipv6, or arp (as arp_op)
)

func (p *parser) satisfies(pr Prereq) bool {
	switch pr {
	case prereqICMPAny:
		return p.match.Satisfies(PrereqICMPv4) || p.match.Satisfies(PrereqICMPv6)
	case prereqProtoOrARP:
		return p.match.Satisfies(PrereqIPAny) || p.match.Satisfies(PrereqARP)
	}
	return p.match.Satisfies(pr)
}

func prereqString(pr Prereq) string {
	switch pr {
	case prereqICMPAny:
		return "icmp or icmp6"
	case prereqProtoOrARP:
		return "ip, ipv6 or arp"
	}
	return pr.String()
}

var (
	fVLANTCI  = &fields[FieldVLANTCI]
	fEthType  = &fields[FieldEthType]
	fIPProto  = &fields[FieldIPProto]
	fInPort   = &fields[FieldInPort]
	fTPSrc    = &fields[FieldTCPSrc]
	fTPDst    = &fields[FieldTCPDst]
	fICMPType = &fields[FieldICMPType]
	fICMPCode = &fields[FieldICMPCode]
)

// matchField applies one match element of the flow text.
func (p *parser) matchField(t token) error {
	if sh, ok := shorthands[t.key]; ok && !t.hasVal {
		p.match.SetExact(fEthType, Value{Lo: uint64(sh.ethType)})
		if sh.proto >= 0 {
			p.match.SetExact(fIPProto, Value{Lo: uint64(sh.proto)})
			// A later dl_type may take away what the protocol needs.
			p.prereqs = append(p.prereqs, prereqRec{col: t.col, tok: t.key, name: "nw_proto (from " + t.key + ")", prereq: prereqProtoOrARP})
		}
		return nil
	}
	name := t.key
	f, ok := lookupField(name)
	if !ok {
		return p.errAt(t.col, t.key, "unknown field %q", t.key)
	}
	if !t.hasVal || t.val == "" {
		return p.errAt(t.col, t.key, "field %s needs a value (%s=VALUE)", t.key, t.key)
	}
	pr := f.Prereq
	switch name {
	case "tp_src", "tp_dst":
		pr = PrereqL4
	case "icmp_type", "icmp_code", "icmpv4_type", "icmpv4_code":
		pr = prereqICMPAny
	case "nw_proto", "ip_proto":
		pr = prereqProtoOrARP
	}
	if f.ID == FieldConjID || f.ID == FieldVLANPCP || f.ID == FieldDLVLAN || f.ID == FieldDLVLANPCP {
		pr = PrereqNone
	}
	v, mask, err := p.value(f, t.val, t.vcol, true)
	if err != nil {
		return err
	}
	switch f.ID {
	case FieldDLVLAN:
		// dl_vlan=N: tagged with VID N; 0xffff (OpenFlow 1.0's "none"): untagged.
		if v.Lo == 0xffff {
			p.setTCI(0, 0xffff)
		} else if v.Lo > 0xfff {
			return p.errAt(t.vcol, t.val, "dl_vlan %d is out of range (want 0..4095, or 0xffff for untagged)", v.Lo)
		} else {
			p.setTCI(v.Lo|0x1000, 0x1fff)
		}
	case FieldDLVLANPCP, FieldVLANPCP:
		p.setTCI(v.Lo<<13|0x1000, 0xf000)
	default:
		p.match.Set(f, v, mask)
	}
	if pr != PrereqNone {
		p.prereqs = append(p.prereqs, prereqRec{col: t.col, tok: t.key + "=" + t.val, name: t.key, prereq: pr})
	}
	return nil
}

// setTCI merges value v under mask m into the vlan_tci constraint.
func (p *parser) setTCI(v, m uint64) {
	ov, om := p.match.Get(fVLANTCI)
	p.match.Set(fVLANTCI, Value{Lo: ov.Lo&^m | v&m}, Value{Lo: om.Lo | m})
}

func (p *parser) checkPrereqs() error {
	for _, r := range p.prereqs {
		if !p.satisfies(r.prereq) {
			if p.match.laterFragment() && (r.prereq == PrereqTCP || r.prereq == PrereqUDP || r.prereq == PrereqSCTP || r.prereq == PrereqL4) {
				return p.errAt(r.col, r.tok, "field %s cannot match later fragments (nw_frag=later): they carry no %s header (missing prerequisite)", r.name, prereqString(r.prereq))
			}
			return p.errAt(r.col, r.tok, "field %s requires %s (missing prerequisite)", r.name, prereqString(r.prereq))
		}
	}
	return nil
}

// lookupField finds a field by ovs-ofctl, NXM or OXM name (NXM and OXM
// names in any case).
func lookupField(name string) (*Field, bool) {
	if f, ok := FieldByName(name); ok {
		return f, true
	}
	if up := strings.ToUpper(name); up != name && (strings.HasPrefix(up, "NXM_") || strings.HasPrefix(up, "OXM_") || strings.HasPrefix(up, "ONFOXM_")) {
		return FieldByName(up)
	}
	return nil, false
}

// port parses an OpenFlow port: a number, a reserved name (any case) or a
// port name known to opts.Ports.
func (p *parser) port(s string, col int) (Port, error) {
	if n, ok := reservedPort(s); ok {
		return n, nil
	}
	if n, err := parseUint(s, 0xffff); err == nil {
		if n == 0 || (n >= uint64(PortMax) && n < uint64(PortInPort)) {
			return 0, p.errAt(col, s, "port %d is not a valid OpenFlow port", n)
		}
		return Port(n), nil
	}
	name := strings.Trim(s, `"`)
	if p.opts.Ports != nil {
		if n, ok := p.opts.Ports(name); ok {
			return n, nil
		}
	}
	return 0, p.errAt(col, s, "unknown port %q", s)
}

var reservedPorts = map[string]Port{
	"IN_PORT": PortInPort, "TABLE": PortTable, "NORMAL": PortNormal, "FLOOD": PortFlood,
	"ALL": PortAll, "CONTROLLER": PortController, "LOCAL": PortLocal, "NONE": PortNone, "ANY": PortNone,
}

func reservedPort(s string) (Port, bool) {
	n, ok := reservedPorts[strings.ToUpper(s)]
	return n, ok
}
