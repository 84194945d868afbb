package flowtable

import (
	"strconv"
	"strings"
)

// Resubmit looks the packet up in Table (TableCurrent = this table) with
// in_port replaced by InPort (PortInPort = unchanged), runs the matched
// actions and returns to run the rest of this list.
type Resubmit struct {
	InPort Port
	Table  uint8
	CT     bool // resubmit(...,ct): look up with the original ct tuple (unsupported beyond parsing)
}

// GotoTable continues the pipeline in Table after this flow's actions.
type GotoTable struct{ Table uint8 }

func init() {
	registerAction(parseResubmit, "resubmit")
	registerAction(parseGotoTable, "goto_table")
}

// parseResubmit parses resubmit:PORT and resubmit([port],[table][,ct]).
func parseResubmit(p *parser, a actionArg, _ *actState) (Action, error) {
	arg, col := a.arg, a.col
	r := Resubmit{InPort: PortInPort, Table: TableCurrent}
	if !a.paren {
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
		return nil, p.errAt(a.pc.col, a.pc.s, "resubmit needs a port or a table")
	}
	return r, nil
}

// parseGotoTable parses goto_table:N, which must go forward when the flow
// names its table.
func parseGotoTable(p *parser, a actionArg, st *actState) (Action, error) {
	n, err := parseUint(a.arg, 254)
	if err != nil {
		return nil, p.errAt(a.col, a.arg, "bad goto_table: %v (want 0..254)", err)
	}
	if st.tableGiven && uint8(n) <= st.table {
		return nil, p.errAt(a.col, a.arg, "goto_table:%d does not go forward from table %d (goto_table cannot go backwards or stay; use resubmit)", n, st.table)
	}
	return GotoTable{Table: uint8(n)}, nil
}

func (a Resubmit) format(aw *actionWriter) {
	if a.InPort != PortInPort && a.Table == TableCurrent && !a.CT {
		aw.add("resubmit:" + aw.o.port(a.InPort))
		return
	}
	s := "resubmit("
	if a.InPort != PortInPort {
		s += aw.o.port(a.InPort)
	}
	s += ","
	if a.Table != TableCurrent {
		s += strconv.Itoa(int(a.Table))
	}
	if a.CT {
		s += ",ct"
	}
	aw.add(s + ")")
}

func (a GotoTable) format(aw *actionWriter) {
	if aw.of10() {
		aw.addf("resubmit(,%d)", a.Table)
	} else {
		aw.addf("goto_table:%d", a.Table)
	}
}

// Access: the lookup reads what the next table matches, which the flow
// cache learns from that lookup's own wildcards; in_port is restored.
func (Resubmit) Access(_, _ *FieldSet) {}

// Access: as Resubmit.
func (GotoTable) Access(_, _ *FieldSet) {}

func (a Resubmit) Translate(_ *Key, t Translator) bool { t.Resubmit(a.InPort, a.Table); return true }

func (a GotoTable) Translate(_ *Key, t Translator) bool { t.Resubmit(PortInPort, a.Table); return true }
