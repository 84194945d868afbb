package flowtable

import (
	"net/netip"
	"strconv"
	"strings"
)

// piece is one comma-separated element of an action list, with the byte
// offset where it starts in the flow text.
type piece struct {
	s   string
	col int
}

// splitTop splits s at commas (and white space) outside parentheses.
func splitTop(s string, col int) ([]piece, *ParseError) {
	var out []piece
	depth, start, open := 0, 0, 0
	flush := func(end int) {
		t := s[start:end]
		lead := len(t) - len(strings.TrimLeft(t, " \t"))
		t = strings.TrimSpace(t)
		if t != "" {
			out = append(out, piece{t, col + start + lead})
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			if depth == 0 {
				open = start
			}
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, &ParseError{Col: col + i + 1, Token: ")", Msg: "unbalanced parentheses: unexpected )"}
			}
		case ',', ' ', '\t':
			if depth == 0 {
				flush(i)
				start = i + 1
			}
		}
	}
	if depth != 0 {
		t := strings.TrimLeft(s[open:], " \t,")
		return nil, &ParseError{Col: col + len(s) - len(t) + 1, Token: t, Msg: "unbalanced parentheses: missing )"}
	}
	flush(len(s))
	return out, nil
}

// actState tracks what the packet looks like as the actions run, for the
// prerequisite checks of set_field, load and move.
type actState struct {
	m          Match
	table      uint8
	tableGiven bool // the flow named its table (goto_table must go forward)
}

func (a *actState) vlanPushed() {
	a.m.Set(fVLANTCI, Value{Lo: 0x1000}, Value{Lo: 0x1000})
}

func (p *parser) actions(s string, col int, f *Flow) ([]Action, error) {
	st := &actState{m: p.match, table: f.Table, tableGiven: !p.allTables}
	list, perr := splitTop(s, col)
	if perr != nil {
		return nil, perr
	}
	if len(list) == 0 {
		return nil, p.errAt(col, "", "empty action list (use actions=drop)")
	}
	var acts []Action
	conj, other, firstConj, firstOther := 0, 0, -1, -1
	gotoSeen := false
	for _, pc := range list {
		if gotoSeen {
			return nil, p.errAt(pc.col, pc.s, "goto_table must be the last action")
		}
		if strings.EqualFold(pc.s, "drop") {
			if len(list) != 1 {
				return nil, p.errAt(pc.col, pc.s, "drop must be the only action")
			}
			return nil, nil
		}
		a, err := p.action(pc, st)
		if err != nil {
			return nil, err
		}
		switch a.(type) {
		case Conjunction:
			conj++
			if firstConj < 0 {
				firstConj = pc.col
			}
		case Note:
		default:
			_, gotoSeen = a.(GotoTable)
			other++
			if firstOther < 0 {
				firstOther = pc.col
			}
		}
		acts = append(acts, a)
	}
	if conj > 0 && other > 0 {
		at := max(firstConj, firstOther)
		return nil, p.errAt(at, s[at-col:], "conjunction actions may not be mixed with other actions")
	}
	return acts, nil
}

// action parses one action.
func (p *parser) action(pc piece, st *actState) (Action, error) {
	name, arg, paren, acol := splitAction(pc)
	switch strings.ToLower(name) {
	case "output":
		if paren {
			return p.outputParen(arg, acol)
		}
		if strings.Contains(arg, "[") {
			sf, err := p.subfield(arg, acol)
			if err != nil {
				return nil, err
			}
			return OutputReg{Src: sf}, nil
		}
		return p.outputTo(arg, acol)
	case "controller":
		return p.controller(arg, paren, acol)
	case "in_port", "normal", "flood", "all", "local":
		n, _ := reservedPort(name)
		return Output{Port: n}, nil
	case "enqueue":
		return nil, p.errAt(pc.col, pc.s, "enqueue is not supported")
	case "resubmit":
		return p.resubmit(arg, paren, acol, pc)
	case "goto_table":
		n, err := parseUint(arg, 254)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad goto_table: %v (want 0..254)", err)
		}
		if st.tableGiven && uint8(n) <= st.table {
			return nil, p.errAt(acol, arg, "goto_table:%d does not go forward from table %d (goto_table cannot go backwards or stay; use resubmit)", n, st.table)
		}
		return GotoTable{Table: uint8(n)}, nil
	case "mod_vlan_vid", "set_vlan_vid":
		n, err := parseUint(arg, 4095)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad VLAN id: %v (want 0..4095)", err)
		}
		st.vlanPushed()
		return SetVLANVID{VID: uint16(n), Push: true}, nil
	case "mod_vlan_pcp", "set_vlan_pcp":
		n, err := parseUint(arg, 7)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad VLAN priority: %v (want 0..7)", err)
		}
		st.vlanPushed()
		return SetVLANPCP{PCP: uint8(n), Push: true}, nil
	case "strip_vlan", "pop_vlan":
		if arg != "" {
			return nil, p.errAt(acol, arg, "%s takes no argument", name)
		}
		st.m.Set(fVLANTCI, Value{}, Value{})
		return StripVLAN{}, nil
	case "push_vlan":
		n, err := parseUint(arg, 0xffff)
		if err != nil || (n != 0x8100 && n != 0x88a8) {
			return nil, p.errAt(acol, arg, "push_vlan needs an ethertype of 0x8100 or 0x88a8")
		}
		st.vlanPushed()
		return PushVLAN{Ethertype: uint16(n)}, nil
	case "mod_dl_src", "mod_dl_dst":
		mac, ok := parseMAC(arg)
		if !ok {
			return nil, p.errAt(acol, arg, "invalid Ethernet address %q", arg)
		}
		a := SetEthAddr{Dst: name == "mod_dl_dst"}
		putMAC(a.MAC[:], mac)
		return a, nil
	case "mod_nw_src", "mod_nw_dst":
		ip, err := netip.ParseAddr(arg)
		if err != nil || !ip.Is4() {
			return nil, p.errAt(acol, arg, "invalid IPv4 address %q", arg)
		}
		return SetIPv4Addr{Dst: name == "mod_nw_dst", Addr: ip.As4()}, nil
	case "mod_nw_tos":
		n, err := parseUint(arg, 255)
		if err != nil || n&3 != 0 {
			return nil, p.errAt(acol, arg, "bad TOS %q: want 0..255 with the two ECN bits zero", arg)
		}
		return SetIPTOS{TOS: uint8(n)}, nil
	case "mod_nw_ecn":
		n, err := parseUint(arg, 3)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad ECN: %v (want 0..3)", err)
		}
		return SetIPECN{ECN: uint8(n)}, nil
	case "mod_nw_ttl":
		n, err := parseUint(arg, 255)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad TTL: %v (want 0..255)", err)
		}
		if !st.m.Satisfies(PrereqIPAny) {
			return nil, p.errAt(pc.col, pc.s, "mod_nw_ttl requires ip or ipv6 in the match (missing prerequisite)")
		}
		return SetIPTTL{TTL: uint8(n)}, nil
	case "mod_tp_src", "mod_tp_dst":
		n, err := parseUint(arg, 65535)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad port: %v (want 0..65535)", err)
		}
		proto, _ := st.m.IPProto()
		return SetL4Port{Dst: name == "mod_tp_dst", Port: uint16(n), Proto: proto}, nil
	case "dec_ttl":
		a := DecTTL{}
		if paren {
			for _, id := range strings.Split(arg, ",") {
				n, err := parseUint(strings.TrimSpace(id), 65535)
				if err != nil {
					return nil, p.errAt(acol, id, "bad controller id: %v", err)
				}
				a.IDs = append(a.IDs, uint16(n))
			}
		}
		return a, nil
	case "set_field":
		return p.setField(arg, acol, st)
	case "load":
		return p.load(arg, acol, st)
	case "move":
		return p.move(arg, acol, st)
	case "set_tunnel", "set_tunnel64":
		n, err := strconv.ParseUint(arg, 0, 64)
		if err != nil {
			return nil, p.errAt(acol, arg, "bad tunnel id %q", arg)
		}
		return SetTunnel{ID: n, Wide: name == "set_tunnel64"}, nil
	case "conjunction":
		return p.conjunction(arg, acol, pc)
	case "ct":
		return p.ct(arg, acol, st, pc)
	case "ct_clear":
		return CTClear{}, nil
	case "note":
		return p.note(arg, acol)
	case "learn":
		if !paren {
			return nil, p.errAt(pc.col, pc.s, "learn needs (...) arguments")
		}
		return p.learn(arg, acol, st)
	}
	// A bare port number or name is an output.
	if !paren && arg == "" {
		if n, err := p.port(name, pc.col); err == nil {
			return p.outputPort(n, pc.col, name)
		}
	}
	return nil, p.errAt(pc.col, name, "unknown action %q", name)
}

// splitAction splits "name:arg", "name=arg" or "name(arg)".
func splitAction(pc piece) (name, arg string, paren bool, acol int) {
	s := pc.s
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':', '=':
			return s[:i], s[i+1:], false, pc.col + i + 1
		case '(':
			arg = s[i+1:]
			arg = strings.TrimSuffix(arg, ")")
			return s[:i], arg, true, pc.col + i + 1
		}
	}
	return s, "", false, pc.col + len(s)
}

func (p *parser) outputTo(arg string, col int) (Action, error) {
	n, err := p.port(arg, col)
	if _, isField := lookupField(arg); err != nil && isField {
		sf, err := p.subfield(arg, col)
		return OutputReg{Src: sf}, err
	}
	if err != nil {
		return nil, p.errAt(col, arg, "output to unknown port %q", arg)
	}
	return p.outputPort(n, col, arg)
}

func (p *parser) outputPort(n Port, col int, tok string) (Action, error) {
	switch n {
	case PortController:
		return Controller{MaxLen: 65535}, nil
	case PortNone, PortTable:
		return nil, p.errAt(col, tok, "output to port %s is not allowed", tok)
	}
	return Output{Port: n}, nil
}

func (p *parser) outputParen(arg string, col int) (Action, error) {
	var port string
	maxLen := uint16(65535)
	for _, kv := range strings.Split(arg, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "port":
			port = v
		case "max_len":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad max_len: %v", err)
			}
			maxLen = uint16(n)
		default:
			return nil, p.errAt(col, kv, "unknown output option %q", k)
		}
	}
	if strings.Contains(port, "[") {
		sf, err := p.subfield(port, col)
		if err != nil {
			return nil, err
		}
		return OutputReg{Src: sf, MaxLen: maxLen}, nil
	}
	a, err := p.outputTo(port, col)
	if o, ok := a.(Output); ok {
		o.MaxLen = maxLen
		return o, err
	}
	return a, err
}

func (p *parser) controller(arg string, paren bool, col int) (Action, error) {
	c := Controller{MaxLen: 65535}
	if arg == "" {
		return c, nil
	}
	if !paren {
		n, err := parseUint(arg, 65535)
		if err != nil {
			return nil, p.errAt(col, arg, "bad controller max_len: %v", err)
		}
		c.MaxLen = uint16(n)
		return c, nil
	}
	for _, kv := range strings.Split(arg, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch k {
		case "max_len":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad max_len: %v", err)
			}
			c.MaxLen = uint16(n)
		case "reason":
			switch v {
			case "action", "no_match", "invalid_ttl", "action_set", "group", "packet_out":
				if v != "action" {
					c.Reason = v
				}
			default:
				return nil, p.errAt(col, kv, "unknown controller reason %q", v)
			}
		case "id":
			n, err := parseUint(v, 65535)
			if err != nil {
				return nil, p.errAt(col, kv, "bad controller id: %v", err)
			}
			c.ID = uint16(n)
		default:
			return nil, p.errAt(col, kv, "unsupported controller option %q", k)
		}
	}
	return c, nil
}

func (p *parser) resubmit(arg string, paren bool, col int, pc piece) (Action, error) {
	r := Resubmit{InPort: PortInPort, Table: TableCurrent}
	if !paren {
		n, err := p.port(arg, col)
		if err != nil {
			return nil, err
		}
		r.InPort = n
		return r, nil
	}
	parts := strings.Split(arg, ",")
	if len(parts) > 3 {
		return nil, p.errAt(col, arg, "resubmit takes (port,table[,ct])")
	}
	if s := strings.TrimSpace(parts[0]); s != "" {
		n, err := p.port(s, col)
		if err != nil {
			return nil, err
		}
		r.InPort = n
	}
	if len(parts) > 1 {
		if s := strings.TrimSpace(parts[1]); s != "" {
			n, err := parseUint(s, 254)
			if err != nil {
				return nil, p.errAt(col+len(parts[0])+1, s, "bad resubmit table: %v (want 0..254)", err)
			}
			r.Table = uint8(n)
		}
	}
	if len(parts) > 2 {
		if strings.TrimSpace(parts[2]) != "ct" {
			return nil, p.errAt(col, parts[2], "unknown resubmit option %q (want ct)", parts[2])
		}
		r.CT = true
	}
	if r.InPort == PortInPort && r.Table == TableCurrent {
		return nil, p.errAt(pc.col, pc.s, "resubmit needs a port or a table")
	}
	return r, nil
}

func (p *parser) conjunction(arg string, col int, pc piece) (Action, error) {
	id, rest, ok := strings.Cut(arg, ",")
	k, n, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return nil, p.errAt(pc.col, pc.s, "conjunction needs (id,k/n)")
	}
	idv, err := strconv.ParseUint(strings.TrimSpace(id), 0, 32)
	if err != nil {
		return nil, p.errAt(col, id, "bad conjunction id")
	}
	kv, err1 := strconv.ParseUint(strings.TrimSpace(k), 10, 8)
	nv, err2 := strconv.ParseUint(strings.TrimSpace(n), 10, 8)
	if err1 != nil || err2 != nil || nv < 2 || nv > 64 || kv < 1 || kv > nv {
		return nil, p.errAt(col+len(id)+1, rest, "bad conjunction clause %q: want k/n with 2 <= n <= 64 and 1 <= k <= n", rest)
	}
	return Conjunction{ID: uint32(idv), Clause: uint8(kv), NClauses: uint8(nv)}, nil
}

func (p *parser) note(arg string, col int) (Action, error) {
	var data []byte
	h := strings.ReplaceAll(arg, ".", "")
	if len(h)%2 != 0 {
		return nil, p.errAt(col, arg, "note needs hex bytes (01.02.03)")
	}
	for i := 0; i < len(h); i += 2 {
		a, ok1 := hexDigit(h[i])
		b, ok2 := hexDigit(h[i+1])
		if !ok1 || !ok2 {
			return nil, p.errAt(col, arg, "bad hex digit in note %q", arg)
		}
		data = append(data, a<<4|b)
	}
	// Open vSwitch pads a note so that its action is a multiple of 8 bytes
	// long (10 bytes of header).
	for (len(data)+10)%8 != 0 {
		data = append(data, 0)
	}
	return Note{Data: data}, nil
}

// subfield parses NAME, NAME[], NAME[n] or NAME[a..b].
func (p *parser) subfield(s string, col int) (Subfield, error) {
	name, rng, hasRng := strings.Cut(s, "[")
	f, ok := lookupField(name)
	if !ok {
		return Subfield{}, p.errAt(col, name, "unknown field %q", name)
	}
	sf := Subfield{Field: f.ID, Ofs: 0, Bits: f.Bits}
	if !hasRng {
		return sf, nil
	}
	if !strings.HasSuffix(rng, "]") {
		return sf, p.errAt(col+len(name), "["+rng, "bad bit range in %q: missing ]", s)
	}
	rng = strings.TrimSuffix(rng, "]")
	if rng == "" {
		return sf, nil
	}
	a, b, two := strings.Cut(rng, "..")
	lo, err := strconv.Atoi(a)
	hi := lo
	if err == nil && two {
		hi, err = strconv.Atoi(b)
	}
	if err != nil || lo < 0 || hi < lo || hi >= f.Bits {
		return sf, p.errAt(col+len(name), "["+rng+"]", "bad bit range [%s] for the %d-bit field %s", rng, f.Bits, name)
	}
	sf.Ofs, sf.Bits = lo, hi-lo+1
	return sf, nil
}

func (p *parser) checkDst(f *Field, st *actState, col int, tok string) error {
	if !f.Writable {
		return p.errAt(col, tok, "field %s cannot be written", f.Name)
	}
	if !st.m.Satisfies(f.Prereq) {
		return p.errAt(col, tok, "writing %s requires %s in the match (missing prerequisite)", f.Name, prereqString(f.Prereq))
	}
	return nil
}

func (p *parser) checkSrc(f *Field, m *Match, col int, tok string) error {
	if !m.Satisfies(f.Prereq) {
		return p.errAt(col, tok, "reading %s requires %s in the match (missing prerequisite)", f.Name, prereqString(f.Prereq))
	}
	return nil
}

// setField parses set_field:VALUE[/MASK]->FIELD.
func (p *parser) setField(arg string, col int, st *actState) (Action, error) {
	val, dst, ok := strings.Cut(arg, "->")
	if !ok {
		return nil, p.errAt(col, arg, "set_field needs VALUE->FIELD")
	}
	dcol := col + len(val) + 2
	f, ok := lookupField(dst)
	if !ok {
		return nil, p.errAt(dcol, dst, "unknown field %q", dst)
	}
	if err := p.checkDst(f, st, dcol, dst); err != nil {
		return nil, err
	}
	if f.ID == FieldVLANVID && !st.m.Satisfies(PrereqVLAN) {
		return nil, p.errAt(dcol, dst, "set_field vlan_vid requires a VLAN tag (dl_vlan in the match or push_vlan first; mod_vlan_vid pushes one)")
	}
	v, mask, err := p.value(f, val, col, true)
	if err != nil {
		return nil, err
	}
	return SetField{Field: f.ID, Value: v, Mask: mask}, nil
}

// load parses load:VALUE->FIELD[a..b] and load:SRC[a..b]->DST[c..d] (the
// latter is a move, as Open vSwitch treats it).
func (p *parser) load(arg string, col int, st *actState) (Action, error) {
	src, dst, ok := strings.Cut(arg, "->")
	if !ok {
		return nil, p.errAt(col, arg, "load needs VALUE->FIELD[]")
	}
	dcol := col + len(src) + 2
	d, err := p.subfield(dst, dcol)
	if err != nil {
		return nil, err
	}
	df := FieldByID(d.Field)
	if err := p.checkDst(df, st, dcol, dst); err != nil {
		return nil, err
	}
	n, err := parseNum(src, d.Bits)
	if err != nil {
		return nil, p.errAt(col, src, "bad load value: %v", err)
	}
	var vk, mk Key
	vk.SetBits(df, d.Ofs, d.Bits, n)
	mk.SetBits(df, d.Ofs, d.Bits, OnesValue(d.Bits))
	return SetField{Field: d.Field, Value: vk.Get(df), Mask: mk.Get(df), Load: true}, nil
}

func (p *parser) move(arg string, col int, st *actState) (Action, error) {
	src, dst, ok := strings.Cut(arg, "->")
	if !ok {
		return nil, p.errAt(col, arg, "move needs SRC[]->DST[]")
	}
	s, err := p.subfield(src, col)
	if err != nil {
		return nil, err
	}
	dcol := col + len(src) + 2
	d, err := p.subfield(dst, dcol)
	if err != nil {
		return nil, err
	}
	if s.Bits != d.Bits {
		return nil, p.errAt(col, arg, "move: source is %d bits wide but destination is %d bits wide", s.Bits, d.Bits)
	}
	if err := p.checkSrc(FieldByID(s.Field), &st.m, col, src); err != nil {
		return nil, err
	}
	if err := p.checkDst(FieldByID(d.Field), st, dcol, dst); err != nil {
		return nil, err
	}
	return Move{Src: s, Dst: d}, nil
}

func putMAC(b []byte, v uint64) {
	for i := 5; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}
