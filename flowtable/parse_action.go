package flowtable

import "strings"

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

// vlanPushed records that the packet now has a VLAN tag.
func (a *actState) vlanPushed() {
	a.m.Set(fVLANTCI, Value{Lo: tciPresent}, Value{Lo: tciPresent})
}

// actions parses the action list s of flow f: drop alone, or actions each
// parsed by action, with goto_table last and conjunctions not mixed with
// other actions.
func (p *parser) actions(s string, col int, f *Flow) ([]Action, error) {
	st := &p.act
	*st = actState{m: p.match, table: f.Table, tableGiven: !p.allTables}
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

// action parses one action: by the parser registered for its name, or as
// an output when it is a bare port number or name.
func (p *parser) action(pc piece, st *actState) (Action, error) {
	name, arg, paren, acol := splitAction(pc)
	if parse, ok := actionParsers[strings.ToLower(name)]; ok {
		return parse(p, actionArg{pc: pc, name: name, arg: arg, paren: paren, col: acol}, st)
	}
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
