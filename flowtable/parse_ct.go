package flowtable

import (
	"net/netip"
	"strconv"
	"strings"
)

// ct parses ct(commit,force,table=N,zone=N|zone=FIELD[a..b],exec(...),
// nat[(...)],alg=ftp|tftp).
func (p *parser) ct(arg string, col int, st *actState, pc piece) (Action, error) {
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
			switch val {
			case "ftp":
				c.Alg = 21
			case "tftp":
				c.Alg = 69
			default:
				n, err := parseUint(val, 65535)
				if err != nil {
					return nil, p.errAt(vcol, val, "unknown ct alg %q (want ftp or tftp)", val)
				}
				c.Alg = uint16(n)
			}
			proto, _ := st.m.IPProto()
			if c.Alg == 21 && proto != ProtoTCP || c.Alg == 69 && proto != ProtoUDP {
				return nil, p.errAt(vcol, val, "alg=%s requires %s in the match (missing prerequisite)", val, map[uint16]string{21: "tcp", 69: "udp"}[c.Alg])
			}
		case "exec":
			if !paren {
				return nil, p.errAt(pt.col, pt.s, "exec needs (actions)")
			}
			sub, perr := splitTop(val, vcol)
			if perr != nil {
				return nil, perr
			}
			for _, s := range sub {
				a, err := p.action(s, st)
				if err != nil {
					return nil, err
				}
				sf, ok := a.(SetField)
				if !ok || (sf.Field != FieldCTMark && sf.Field != FieldCTLabel) {
					return nil, p.errAt(s.col, s.s, "ct exec may only set ct_mark or ct_label")
				}
				c.Exec = append(c.Exec, a)
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
