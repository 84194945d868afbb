package flowtable

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ParseOptions adjusts how flows are read.
type ParseOptions struct {
	// Ports resolves a port name used in in_port=, output: and friends to
	// its OpenFlow number. Nil means only numbers and reserved names.
	Ports func(name string) (Port, bool)
	// Now stamps the flows' creation time (zero: time.Now()).
	Now time.Time
}

// ParseError is a rejected flow: Col is the 1-based byte column of the
// offending token in the flow text, Token the token itself.
type ParseError struct {
	Line  int // 1-based line in a flow file, 0 for a single flow
	Col   int
	Token string
	Msg   string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, ", e.Line)
	}
	fmt.Fprintf(&b, "column %d: %s", e.Col, e.Msg)
	if e.Token != "" {
		fmt.Fprintf(&b, " (at %q)", e.Token)
	}
	return b.String()
}

// ParseFlow parses one flow in ovs-ofctl syntax for command cmd.
func ParseFlow(s string, cmd Command) (*FlowMod, error) {
	return ParseFlowWith(s, cmd, ParseOptions{})
}

// ParseFlowWith parses one flow in ovs-ofctl syntax, as `ovs-ofctl add-flow`
// (cmd CmdAdd), mod-flows or del-flows take it. It also accepts the lines
// `ovs-ofctl dump-flows` prints, with or without statistics: duration,
// n_packets, n_bytes, idle_age and hard_age are read and ignored.
func ParseFlowWith(s string, cmd Command, opts ParseOptions) (*FlowMod, error) {
	return new(parser).parse(s, cmd, opts)
}

// parse parses flow s, reusing p: the action parsers are called through
// the action table, which makes p live on the heap, so a file is parsed
// with one parser rather than one per line.
func (p *parser) parse(s string, cmd Command, opts ParseOptions) (*FlowMod, error) {
	*p = parser{src: s, opts: opts, cmd: cmd, prereqs: p.prereqs[:0]}
	return p.flowMod()
}

// ParseFlows reads a flow file (one flow per line, as ovs-ofctl add-flows
// reads it) for command cmd.
func ParseFlows(r io.Reader, cmd Command) ([]*FlowMod, error) {
	return ParseFlowsWith(r, cmd, ParseOptions{})
}

// ParseFlowsWith reads a flow file: blank lines, `#` comments (whole-line
// or trailing) and the reply headers of an ovs-ofctl dump are skipped; a
// trailing backslash continues a line. The first bad line fails the whole
// file, with its line number.
func ParseFlowsWith(r io.Reader, cmd Command, opts ParseOptions) ([]*FlowMod, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var mods []*FlowMod
	lineNo, start := 0, 0
	var pending strings.Builder
	p := new(parser)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if pending.Len() == 0 {
			start = lineNo
		}
		if strings.HasSuffix(line, "\\") {
			pending.WriteString(strings.TrimSuffix(line, "\\"))
			continue
		}
		pending.WriteString(line)
		text := pending.String()
		pending.Reset()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		t := strings.TrimSpace(text)
		if t == "" || isReplyHeader(t) {
			continue
		}
		m, err := p.parse(text, cmd, opts)
		if err != nil {
			if pe, ok := err.(*ParseError); ok {
				pe.Line = start
				return nil, pe
			}
			return nil, fmt.Errorf("line %d: %w", start, err)
		}
		mods = append(mods, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read flows: %w", err)
	}
	return mods, nil
}

func isReplyHeader(s string) bool {
	return strings.HasPrefix(s, "NXST_FLOW") || strings.HasPrefix(s, "OFPST_FLOW")
}

// parser reads one flow. It walks the text once; pos is the byte offset of
// the next unread character, used for error columns.
type parser struct {
	src  string
	pos  int
	opts ParseOptions
	cmd  Command

	match     Match
	prereqs   []prereqRec
	allTables bool     // no table= was given
	act       actState // the action list's state, in p to share its allocation
}

func (p *parser) errAt(col int, tok, format string, args ...any) *ParseError {
	return &ParseError{Col: col + 1, Token: tok, Msg: fmt.Sprintf(format, args...)}
}

// token is one key[=value] element of the flow text.
type token struct {
	key, val string
	hasVal   bool
	col      int // offset of key
	vcol     int // offset of value
}

// next returns the next key=value (or key:value, or bare key) element, up
// to a comma or whitespace at parenthesis depth 0. After "actions" the rest
// of the text is the value.
func (p *parser) next() (token, bool) {
	s := p.src
	for p.pos < len(s) && (s[p.pos] == ',' || isSpace(s[p.pos])) {
		p.pos++
	}
	if p.pos >= len(s) {
		return token{}, false
	}
	t := token{col: p.pos}
	i := p.pos
	for i < len(s) && s[i] != '=' && s[i] != ':' && s[i] != ',' && !isSpace(s[i]) && s[i] != '(' {
		i++
	}
	t.key = s[p.pos:i]
	if i < len(s) && (s[i] == '=' || s[i] == ':') {
		t.hasVal = true
		i++
		t.vcol = i
		if t.key == "actions" || t.key == "instructions" {
			t.val = strings.TrimSpace(s[i:])
			p.pos = len(s)
			return t, true
		}
		j, depth := i, 0
		for j < len(s) {
			c := s[j]
			if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			} else if depth <= 0 && (c == ',' || isSpace(c)) {
				break
			}
			j++
		}
		t.val = s[i:j]
		p.pos = j
		return t, true
	}
	p.pos = i
	return t, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (p *parser) flowMod() (*FlowMod, error) {
	now := p.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	f := &Flow{Priority: DefaultPriority, Created: now}
	m := &FlowMod{Command: p.cmd, Flow: f, AllTables: true, OutPort: PortNone}
	// ovs-ofctl sends a modify without a cookie mask as an OpenFlow 1.0
	// flow mod, whose one cookie field becomes the modified flows'
	// cookie: without cookie= that is 0 (checked against OVS 3.1).
	m.NewCookie = p.cmd == CmdModify || p.cmd == CmdModifyStrict
	var actions *token
	for {
		t, ok := p.next()
		if !ok {
			break
		}
		if actions != nil {
			return nil, p.errAt(t.col, t.key, "nothing may follow actions")
		}
		if t.key == "actions" || t.key == "instructions" {
			tt := t
			actions = &tt
			continue
		}
		if err := p.flowField(t, m); err != nil {
			return nil, err
		}
	}
	p.allTables = m.AllTables
	if err := p.checkPrereqs(); err != nil {
		return nil, err
	}
	f.Match = p.match
	switch {
	case actions != nil:
		if p.cmd == CmdDelete || p.cmd == CmdDeleteStrict {
			return nil, p.errAt(actions.col, "actions", "actions are not allowed when deleting flows")
		}
		acts, err := p.actions(actions.val, actions.vcol, f)
		if err != nil {
			return nil, err
		}
		f.Actions = acts
	case p.cmd == CmdAdd || p.cmd == CmdModify || p.cmd == CmdModifyStrict:
		return nil, p.errAt(len(p.src), "", "missing actions (a flow must end with actions=...; use actions=drop to drop)")
	}
	f.soft = isSoft(f.Actions)
	if p.cmd == CmdAdd && m.AllTables {
		m.AllTables = false
	}
	return m, nil
}

// flowField parses one field of a flow mod that is not its actions: the
// flow's table, priority, cookie, timeouts, flags or out_port, dump
// statistics (ignored) or a match field.
func (p *parser) flowField(t token, m *FlowMod) error {
	f := m.Flow
	switch t.key {
	case "table":
		if t.val == "all" && p.cmd != CmdAdd {
			return nil
		}
		n, err := parseUint(t.val, 254)
		if err != nil {
			return p.errAt(t.vcol, t.val, "bad table id: %v (want 0..254)", err)
		}
		f.Table, m.AllTables = uint8(n), false
	case "priority":
		n, err := parseUint(t.val, 65535)
		if err != nil {
			return p.errAt(t.vcol, t.val, "bad priority: %v (want 0..65535)", err)
		}
		f.Priority = uint16(n)
	case "cookie":
		return p.cookieField(t, m)
	case "idle_timeout", "hard_timeout", "importance":
		n, err := parseUint(t.val, 65535)
		if err != nil {
			return p.errAt(t.vcol, t.val, "bad %s: %v (want 0..65535)", t.key, err)
		}
		switch t.key {
		case "idle_timeout":
			f.IdleTimeout = uint16(n)
		case "hard_timeout":
			f.HardTimeout = uint16(n)
		default:
			f.Importance = uint16(n)
		}
	case "out_port":
		n, err := p.port(t.val, t.vcol)
		if err != nil {
			return err
		}
		m.OutPort = n
	case "send_flow_rem":
		f.Flags |= FlagSendFlowRem
	case "check_overlap":
		f.Flags |= FlagCheckOverlap
	case "reset_counts":
		f.Flags |= FlagResetCounts
	case "no_packet_counts":
		f.Flags |= FlagNoPacketCounts
	case "no_byte_counts":
		f.Flags |= FlagNoByteCounts
	case "duration", "n_packets", "n_bytes", "idle_age", "hard_age", "out_group":
		// Statistics of a dump-flows line; read and ignored.
	default:
		if err := p.matchField(t); err != nil {
			return err
		}
	}
	return nil
}

// parseUint parses a decimal or 0x-hex number no larger than max.
func parseUint(s string, max uint64) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("missing value")
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n > max {
		return 0, fmt.Errorf("%d is out of range", n)
	}
	return n, nil
}
