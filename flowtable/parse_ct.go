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
			n, err := p.nat(val, paren, vcol)
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
	if c.Force && !c.Commit {
		return nil, p.errAt(pc.col, pc.s, "ct force needs commit")
	}
	return c, nil
}

// nat parses the inside of nat(src=A[-B][:P[-Q]],persistent,hash,random).
func (p *parser) nat(arg string, paren bool, col int) (*NAT, error) {
	n := &NAT{}
	if !paren || arg == "" {
		return n, nil
	}
	for _, kv := range strings.Split(arg, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "src", "dst":
			if n.Src || n.Dst {
				return nil, p.errAt(col, kv, "nat takes one of src or dst")
			}
			n.Src, n.Dst = k == "src", k == "dst"
			if err := p.natRange(n, v, col); err != nil {
				return nil, err
			}
		case "persistent":
			n.Persistent = true
		case "random":
			n.Random = true
		case "hash":
			n.Hash = true
		default:
			return nil, p.errAt(col, kv, "unknown nat option %q", k)
		}
	}
	if n.Random && n.Hash {
		return nil, p.errAt(col, arg, "nat: hash and random are exclusive")
	}
	return n, nil
}

func (p *parser) natRange(n *NAT, s string, col int) error {
	addrs, ports := s, ""
	if strings.HasPrefix(s, "[") {
		// [v6]-[v6]:ports
		end := strings.LastIndex(s, "]")
		if end < 0 {
			return p.errAt(col, s, "bad nat address range %q", s)
		}
		addrs, ports = s[:end+1], strings.TrimPrefix(s[end+1:], ":")
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		addrs, ports = s[:i], s[i+1:]
	}
	lo, hi, two := strings.Cut(addrs, "-")
	parse := func(a string) (netip.Addr, bool) {
		ip, err := netip.ParseAddr(strings.Trim(a, "[]"))
		return ip, err == nil
	}
	var ok bool
	if n.AddrMin, ok = parse(lo); !ok {
		return p.errAt(col, lo, "bad nat address %q", lo)
	}
	n.AddrMax = n.AddrMin
	if two {
		if n.AddrMax, ok = parse(hi); !ok || n.AddrMax.Is4() != n.AddrMin.Is4() || n.AddrMax.Less(n.AddrMin) {
			return p.errAt(col, hi, "bad nat address range %q", addrs)
		}
	}
	if ports != "" {
		a, b, two := strings.Cut(ports, "-")
		pa, err := strconv.ParseUint(a, 10, 16)
		if err != nil {
			return p.errAt(col, ports, "bad nat port %q", a)
		}
		pb := pa
		if two {
			if pb, err = strconv.ParseUint(b, 10, 16); err != nil || pb < pa {
				return p.errAt(col, ports, "bad nat port range %q", ports)
			}
		}
		n.PortMin, n.PortMax = uint16(pa), uint16(pb)
	}
	return nil
}
