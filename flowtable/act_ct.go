package flowtable

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// CT sends the packet through connection tracking.
type CT struct {
	Commit  bool
	Force   bool
	Zone    uint16   // immediate zone, when ZoneSrc.Field == FieldNone
	ZoneSrc Subfield // zone=NXM_NX_REG6[0..15]
	Table   uint8    // recirculation table; TableCurrent (255) = none
	Alg     uint16   // alg=ftp|tftp port; 0 = none
	Exec    []Action // exec(...): only SetField on ct_mark/ct_label
	NAT     *NAT     // nat(...), nil = none
}

// NAT is the nat(...) clause of ct. With neither Src nor Dst it means
// "apply the NAT already recorded in the connection".
type NAT struct {
	Src, Dst           bool
	AddrMin, AddrMax   netip.Addr // invalid = not given
	PortMin, PortMax   uint16
	Persistent, Random bool
	Hash               bool
}

// CTClear resets the packet's conntrack state (ct_clear).
type CTClear struct{}

func init() {
	registerAction(parseCT, "ct")
	registerAction(func(*parser, actionArg, *actState) (Action, error) { return CTClear{}, nil }, "ct_clear")
}

// parseCT parses ct(commit,force,table=N,zone=N|zone=FIELD[a..b],exec(...),
// nat[(...)],alg=ftp|tftp), which needs an IP match.
func parseCT(p *parser, a actionArg, st *actState) (Action, error) {
	arg, col, pc := a.arg, a.col, a.pc
	if !st.m.Satisfies(PrereqIPAny) {
		return nil, p.errAt(pc.col, "ct", "ct requires ip or ipv6 in the match (missing prerequisite)")
	}
	c := CT{Table: TableCurrent}
	parts, perr := splitTop(arg, col)
	if perr != nil {
		return nil, perr
	}
	for _, pt := range parts {
		name, val, paren, vcol := splitAction(pt)
		switch name {
		case "commit":
			c.Commit = true
		case "force":
			c.Force = true
		case "table":
			n, err := parseUint(val, 254)
			if err != nil {
				return nil, p.errAt(vcol, val, "bad ct table: %v (want 0..254)", err)
			}
			c.Table = uint8(n)
		case "zone":
			if n, err := parseUint(val, 65535); err == nil {
				c.Zone = uint16(n)
				continue
			}
			sf, err := p.subfield(val, vcol)
			if err != nil {
				return nil, err
			}
			if sf.Bits != 16 {
				return nil, p.errAt(vcol, val, "ct zone field must be 16 bits wide, not %d", sf.Bits)
			}
			c.ZoneSrc = sf
		case "alg":
			if err := p.ctAlg(&c, val, vcol, st); err != nil {
				return nil, err
			}
		case "exec":
			if err := p.ctExec(&c, pt, val, paren, vcol, st); err != nil {
				return nil, err
			}
		case "nat":
			n, err := p.nat(val, paren, vcol, st.m.EthType() == EthTypeIPv6)
			if err != nil {
				return nil, err
			}
			c.NAT = n
		default:
			return nil, p.errAt(pt.col, name, "unknown ct option %q", name)
		}
	}
	if !c.Commit && (len(c.Exec) > 0 || c.NAT != nil && (c.NAT.Src || c.NAT.Dst)) {
		return nil, p.errAt(pc.col, pc.s, "ct needs commit when it has exec() or nat() with arguments")
	}
	if c.Commit {
		if sv, sm := st.m.Get(&fields[FieldCTState]); sm.Lo&sv.Lo&ctInv != 0 {
			return nil, p.errAt(pc.col, pc.s, "ct commit on a flow that matches ct_state=+inv (Open vSwitch refuses it)")
		}
	}
	if c.Force && !c.Commit {
		return nil, p.errAt(pc.col, pc.s, "ct force needs commit")
	}
	return c, nil
}

// ctAlg parses alg=ftp|tftp|PORT; ftp needs a TCP match, tftp UDP.
func (p *parser) ctAlg(c *CT, val string, vcol int, st *actState) error {
	switch val {
	case "ftp":
		c.Alg = 21
	case "tftp":
		c.Alg = 69
	default:
		n, err := parseUint(val, 65535)
		if err != nil {
			return p.errAt(vcol, val, "unknown ct alg %q (want ftp or tftp)", val)
		}
		c.Alg = uint16(n)
	}
	proto, _ := st.m.IPProto()
	if c.Alg == 21 && proto != ProtoTCP || c.Alg == 69 && proto != ProtoUDP {
		return p.errAt(vcol, val, "alg=%s requires %s in the match (missing prerequisite)", val, map[uint16]string{21: "tcp", 69: "udp"}[c.Alg])
	}
	return nil
}

// ctExec parses exec(...), whose actions may only set ct_mark or ct_label.
func (p *parser) ctExec(c *CT, pt piece, val string, paren bool, vcol int, st *actState) error {
	if !paren {
		return p.errAt(pt.col, pt.s, "exec needs (actions)")
	}
	sub, perr := splitTop(val, vcol)
	if perr != nil {
		return perr
	}
	for _, s := range sub {
		a, err := p.action(s, st)
		if err != nil {
			return err
		}
		sf, ok := a.(SetField)
		if !ok || (sf.Field != FieldCTMark && sf.Field != FieldCTLabel) {
			return p.errAt(s.col, s.s, "ct exec may only set ct_mark or ct_label")
		}
		c.Exec = append(c.Exec, a)
	}
	return nil
}

const ctInv = 0x10

// nat parses the inside of nat(src=A[-B][:P[-Q]],persistent,hash,random).
func (p *parser) nat(arg string, paren bool, col int, v6 bool) (*NAT, error) {
	n := &NAT{}
	if !paren || arg == "" {
		return n, nil
	}
	off := 0
	for _, kv := range strings.Split(arg, ",") {
		kcol := col + off
		off += len(kv) + 1
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "src", "dst":
			if n.Src || n.Dst {
				return nil, p.errAt(kcol, kv, "nat takes one of src or dst")
			}
			n.Src, n.Dst = k == "src", k == "dst"
			if err := p.natRange(n, v, kcol+len(k)+1, v6); err != nil {
				return nil, err
			}
		case "persistent":
			n.Persistent = true
		case "random":
			n.Random = true
		case "hash":
			n.Hash = true
		default:
			return nil, p.errAt(kcol, kv, "unknown nat option %q", k)
		}
	}
	if n.Random && n.Hash {
		return nil, p.errAt(col, arg, "nat: hash and random are exclusive")
	}
	return n, nil
}

func (p *parser) natRange(n *NAT, s string, col int, v6 bool) error {
	addrs, ports := s, ""
	if strings.HasPrefix(s, "[") {
		// [v6]-[v6]:ports
		end := strings.LastIndex(s, "]")
		if end < 0 {
			return p.errAt(col, s, "bad nat address range %q", s)
		}
		addrs, ports = s[:end+1], strings.TrimPrefix(s[end+1:], ":")
	} else if strings.Count(s, ":") == 1 {
		i := strings.IndexByte(s, ':')
		addrs, ports = s[:i], s[i+1:]
	}
	pcol := col + len(s) - len(ports)
	lo, hi, two := strings.Cut(addrs, "-")
	parse := func(a string) (netip.Addr, bool) {
		ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"))
		return ip, err == nil && ip.Zone() == ""
	}
	var ok bool
	if n.AddrMin, ok = parse(lo); !ok {
		return p.errAt(col, lo, "bad nat address %q", lo)
	}
	if n.AddrMin.Is6() != v6 {
		fam := map[bool]string{true: "IPv6", false: "IPv4"}
		return p.errAt(col, lo, "nat address %s is %s but the flow matches %s", lo, fam[!v6], fam[v6])
	}
	n.AddrMax = n.AddrMin
	if two {
		if n.AddrMax, ok = parse(hi); !ok || n.AddrMax.Is4() != n.AddrMin.Is4() || n.AddrMax.Less(n.AddrMin) {
			return p.errAt(col+len(lo)+1, hi, "bad nat address range %q", addrs)
		}
	}
	if ports != "" {
		a, b, two := strings.Cut(ports, "-")
		pa, err := strconv.ParseUint(a, 10, 16)
		if err != nil {
			return p.errAt(pcol, a, "bad nat port %q", a)
		}
		pb := pa
		if two {
			if pb, err = strconv.ParseUint(b, 10, 16); err != nil || pb < pa {
				return p.errAt(pcol, ports, "bad nat port range %q", ports)
			}
		}
		n.PortMin, n.PortMax = uint16(pa), uint16(pb)
	}
	return nil
}

func (c CT) format(aw *actionWriter) {
	var s []string
	if c.Commit {
		s = append(s, "commit")
	}
	if c.Force {
		s = append(s, "force")
	}
	if c.Table != TableCurrent {
		s = append(s, fmt.Sprintf("table=%d", c.Table))
	}
	if c.ZoneSrc.Field != FieldNone {
		s = append(s, "zone="+formatSubfield(c.ZoneSrc))
	} else if c.Zone != 0 {
		s = append(s, fmt.Sprintf("zone=%d", c.Zone))
	}
	if c.NAT != nil {
		s = append(s, formatNAT(c.NAT))
	}
	if len(c.Exec) > 0 {
		s = append(s, "exec("+aw.sub(c.Exec)+")")
	}
	switch c.Alg {
	case 0:
	case 21:
		s = append(s, "alg=ftp")
	case 69:
		s = append(s, "alg=tftp")
	default:
		s = append(s, fmt.Sprintf("alg=%d", c.Alg))
	}
	aw.add("ct(" + strings.Join(s, ",") + ")")
}

func formatNAT(n *NAT) string {
	if !n.Src && !n.Dst {
		return "nat"
	}
	var b strings.Builder
	if n.Src {
		b.WriteString("nat(src=")
	} else {
		b.WriteString("nat(dst=")
	}
	addr := func(a string, v6 bool) string {
		if v6 && n.PortMin != 0 {
			return "[" + a + "]"
		}
		return a
	}
	if n.AddrMin.IsValid() {
		v6 := n.AddrMin.Is6()
		b.WriteString(addr(n.AddrMin.String(), v6))
		if n.AddrMax.IsValid() && n.AddrMax != n.AddrMin {
			b.WriteString("-" + addr(n.AddrMax.String(), v6))
		}
	}
	if n.PortMin != 0 {
		fmt.Fprintf(&b, ":%d", n.PortMin)
		if n.PortMax != n.PortMin {
			fmt.Fprintf(&b, "-%d", n.PortMax)
		}
	}
	if n.Persistent {
		b.WriteString(",persistent")
	}
	if n.Hash {
		b.WriteString(",hash")
	}
	if n.Random {
		b.WriteString(",random")
	}
	b.WriteByte(')')
	return b.String()
}

func (CTClear) format(aw *actionWriter) { aw.add("ct_clear") }

// ctFields are the conntrack metadata a ct lookup sets and ct_clear resets.
var ctFields = [...]FieldID{FieldCTState, FieldCTZone, FieldCTMark, FieldCTLabel}

// Access: the tracker reads the connection's tuple and the zone, and
// rewrites the conntrack metadata; NAT rewrites addresses and ports.
func (c CT) Access(reads, writes *FieldSet) {
	reads.Add(FieldEthType, FieldIPProto, FieldIPFrag, FieldIPv4Src, FieldIPv4Dst, FieldIPv6Src, FieldIPv6Dst,
		FieldTCPSrc, FieldTCPDst, FieldCTState, FieldCTZone, FieldCTMark, FieldCTLabel)
	if c.ZoneSrc.Field != FieldNone {
		reads.Add(c.ZoneSrc.Field)
	}
	writes.Add(ctFields[:]...)
	if c.NAT != nil {
		writes.Add(FieldIPv4Src, FieldIPv4Dst, FieldIPv6Src, FieldIPv6Dst, FieldTCPSrc, FieldTCPDst)
	}
}

// Access: the conntrack metadata go.
func (CTClear) Access(_, writes *FieldSet) { writes.Add(ctFields[:]...) }

func (c CT) Translate(_ *Key, t Translator) bool { t.Conntrack(c); return true }

func (CTClear) Translate(k *Key, _ Translator) bool {
	k.ClearCT()
	return true
}
