package ctl

import (
	"encoding/csv"
	"fmt"
	"maps"
	"strings"

	"github.com/gvs-project/gvs/vswitch"
)

// The database commands of ovs-vsctl (list, find, get, set, clear,
// remove) over the Bridge, Port and Interface records.

// findRow returns the record of t named name; with ifExists a missing one
// is (nil, nil).
func (x *vsctlRun) findRow(t *table, name string, ifExists bool) (*row, error) {
	for _, r := range t.rows(x.tx) {
		if r.name() == name {
			return &r, nil
		}
	}
	if ifExists {
		return nil, nil
	}
	return nil, notFound("no row %q in table %s", name, t.name)
}

// selected returns the columns --columns names, or all of t's.
func (x *vsctlRun) selected(t *table, names []string) ([]*column, error) {
	if len(names) == 0 {
		return t.columns, nil
	}
	var cols []*column
	for _, n := range names {
		c, err := t.column(n)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// formatRows prints records as ovs-vsctl list and find do in format
// ("" or list: "column : value" lines, the names padded to 20, a blank
// line between records; table: aligned columns under a header and a rule
// of dashes; csv: a header line, values quoted where they need it).
func formatRows(rows []row, cols []*column, format string) string {
	var b strings.Builder
	cells := make([][]string, len(rows))
	for i, r := range rows {
		for _, c := range cols {
			cells[i] = append(cells[i], c.format(r))
		}
	}
	switch format {
	case "table":
		writeTable(&b, cols, cells)
	case "csv":
		w := csv.NewWriter(&b)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.name
		}
		w.Write(head)
		w.WriteAll(cells)
	default:
		for i, line := range cells {
			if i > 0 {
				b.WriteString("\n")
			}
			for j, v := range line {
				fmt.Fprintf(&b, "%-20s: %s\n", cols[j].name, v)
			}
		}
	}
	return b.String()
}

// writeTable prints cells as ovs-vsctl --format=table: each column as
// wide as its widest cell or name, one space between, the last unpadded.
func writeTable(b *strings.Builder, cols []*column, cells [][]string) {
	width := make([]int, len(cols))
	head, rule := make([]string, len(cols)), make([]string, len(cols))
	for j, c := range cols {
		width[j] = len(c.name)
		for _, line := range cells {
			width[j] = max(width[j], len(line[j]))
		}
		head[j], rule[j] = c.name, strings.Repeat("-", width[j])
	}
	for _, line := range append([][]string{head, rule}, cells...) {
		for j, v := range line {
			if j == len(line)-1 {
				b.WriteString(v + "\n")
			} else {
				fmt.Fprintf(b, "%-*s ", width[j], v)
			}
		}
	}
}

// tableColumns returns the table a list or find names and the columns
// to print.
func (x *vsctlRun) tableColumns(c vsctlCmd) (*table, []*column, error) {
	t, err := lookupTable(c.args[0])
	if err != nil {
		return nil, nil, err
	}
	cols, err := x.selected(t, c.columns)
	return t, cols, err
}

func (x *vsctlRun) list(c vsctlCmd) (string, error) {
	t, cols, err := x.tableColumns(c)
	if err != nil {
		return "", err
	}
	rows := t.rows(x.tx)
	if len(c.args) > 1 {
		rows = nil
		for _, name := range c.args[1:] {
			r, err := x.findRow(t, name, c.has("if-exists"))
			if err != nil {
				return "", err
			}
			if r != nil {
				rows = append(rows, *r)
			}
		}
	}
	return formatRows(rows, cols, c.opts["format"]), nil
}

// find lists the records of which every COLUMN[:KEY]=VALUE condition
// holds (also != for "differs").
func (x *vsctlRun) find(c vsctlCmd) (string, error) {
	t, cols, err := x.tableColumns(c)
	if err != nil {
		return "", err
	}
	var match []row
	for _, r := range t.rows(x.tx) {
		ok := true
		for _, cond := range c.args[1:] {
			holds, err := x.holds(t, r, cond)
			if err != nil {
				return "", err
			}
			ok = ok && holds
		}
		if ok {
			match = append(match, r)
		}
	}
	return formatRows(match, cols, c.opts["format"]), nil
}

// holds evaluates one find condition on r.
func (x *vsctlRun) holds(t *table, r row, cond string) (bool, error) {
	negate := false
	if i := strings.Index(cond, "!="); i >= 0 && !strings.Contains(cond[:i], "=") {
		cond, negate = cond[:i]+cond[i+1:], true
	}
	name, key, hasKey, value, hasValue, err := parseColumnArg(cond)
	if err != nil || !hasValue {
		return false, invalid("%s: want COLUMN[:KEY]=VALUE (or !=)", cond)
	}
	col, err := t.column(name)
	if err != nil {
		return false, err
	}
	have := col.get(r)
	var eq bool
	if hasKey {
		if col.kind != colMap {
			return false, invalid("cannot specify key to check for non-map column %s", col.name)
		}
		want, err := parseDatum(value, false)
		if err != nil {
			return false, invalid("%v", err)
		}
		v, ok := have.toMap()[key]
		eq = ok && len(want.keys) == 1 && want.keys[0] == v
	} else {
		want, err := col.parse(t, value)
		if err != nil {
			return false, err
		}
		eq = want.format(col.atom, atomString, false) == have.format(col.atom, atomString, false)
	}
	return eq != negate, nil
}

// record returns the table and record "CMD TABLE RECORD ..." names; with
// --if-exists a missing record is nil.
func (x *vsctlRun) record(c vsctlCmd) (*table, *row, error) {
	t, err := lookupTable(c.args[0])
	if err != nil {
		return nil, nil, err
	}
	r, err := x.findRow(t, c.args[1], c.has("if-exists"))
	return t, r, err
}

func (x *vsctlRun) get(c vsctlCmd) (string, error) {
	t, r, err := x.record(c)
	if err != nil || r == nil {
		return "", err
	}
	var b strings.Builder
	for _, a := range c.args[2:] {
		name, key, hasKey, _, hasValue, err := parseColumnArg(a)
		if err != nil || hasValue {
			return "", invalid("%s: want COLUMN[:KEY]", a)
		}
		col, err := t.column(name)
		if err != nil {
			return "", err
		}
		if !hasKey {
			b.WriteString(col.format(*r) + "\n")
			continue
		}
		if col.kind != colMap {
			return "", invalid("cannot specify key to get for non-map column %s", col.name)
		}
		v, ok := col.get(*r).toMap()[key]
		switch {
		case ok:
			b.WriteString(formatAtom(v, atomString) + "\n")
		case c.has("if-exists"):
			b.WriteString("\n")
		default:
			return "", notFound("no key %q in %s record %q column %s", key, t.name, r.name(), col.name)
		}
	}
	return b.String(), nil
}

// edit runs change on the record the command names and commits it.
func (x *vsctlRun) edit(c vsctlCmd, change func(t *table, r row) error) (string, error) {
	t, r, err := x.record(c)
	if err != nil || r == nil {
		return "", err
	}
	before := *r
	if r.pr != nil {
		before.pr = &vswitch.PortRecord{Config: r.pr.Config}
		before.pr.Config.Options = maps.Clone(r.pr.Config.Options)
	}
	if err := change(t, *r); err != nil {
		return "", err
	}
	return "", x.commit(*r, before)
}

// commit writes an edited record back.
func (x *vsctlRun) commit(r, before row) error {
	if r.root != nil {
		x.tx.SetRoot(*r.root)
		return nil
	}
	if r.br != nil {
		return x.tx.SetBridge(*r.br)
	}
	pc := r.pr.Config
	if pc.OFPort != before.pr.Config.OFPort {
		return invalid("cannot change ofport_request of existing interface %s: delete the port and add it again", pc.Name)
	}
	if !maps.Equal(pc.Options, before.pr.Config.Options) {
		if pc.Options == nil {
			pc.Options = map[string]string{}
		}
		if err := x.s.confinePcapPaths(x.ctx, pc.Options); err != nil {
			return err
		}
	}
	return x.tx.SetPort(pc.Name, pc)
}

// writable returns t's column name if it may be changed.
func writable(t *table, name string) (*column, error) {
	col, err := t.column(name)
	if err != nil {
		return nil, err
	}
	if col.readOnly {
		return nil, invalid("cannot modify read-only column %s in table %s", col.name, t.name)
	}
	return col, nil
}

// assign applies one COLUMN[:KEY]=VALUE to r.
func (x *vsctlRun) assign(t *table, r row, a string) error {
	name, key, hasKey, value, hasValue, err := parseColumnArg(a)
	if err != nil || !hasValue {
		return invalid("%s: argument does not end in \"=\" followed by a value", a)
	}
	col, err := writable(t, name)
	if err != nil {
		return err
	}
	if !hasKey {
		d, err := col.parse(t, value)
		if err != nil {
			return err
		}
		col.set(r, d)
		return nil
	}
	if col.kind != colMap {
		return invalid("cannot specify key to set for non-map column %s", col.name)
	}
	v, err := parseDatum(value, false)
	if err != nil || len(v.keys) != 1 {
		return invalid("%s: want one value for key %s", a, key)
	}
	m := col.get(r).toMap()
	m[key] = v.keys[0]
	col.set(r, mapDatum(m))
	return nil
}

func (x *vsctlRun) set(c vsctlCmd) (string, error) {
	return x.edit(c, func(t *table, r row) error {
		for _, a := range c.args[2:] {
			if err := x.assign(t, r, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func (x *vsctlRun) clear(c vsctlCmd) (string, error) {
	return x.edit(c, func(t *table, r row) error {
		for _, name := range c.args[2:] {
			col, err := writable(t, name)
			if err != nil {
				return err
			}
			if col.kind == colScalar {
				return invalid("\"clear\" operation cannot be applied to column %s of table %s, which is not allowed to be empty", col.name, t.name)
			}
			col.set(r, datum{isMap: col.kind == colMap})
		}
		return nil
	})
}

// remove takes keys (KEY or KEY=VALUE) out of a map, values out of a set
// or optional column.
func (x *vsctlRun) remove(c vsctlCmd) (string, error) {
	return x.edit(c, func(t *table, r row) error {
		col, err := writable(t, c.args[2])
		if err != nil {
			return err
		}
		if col.kind == colScalar {
			return invalid("\"remove\" operation would put 0 values in column %s of table %s, but a minimum of 1 is required", col.name, t.name)
		}
		have := col.get(r)
		for _, a := range c.args[3:] {
			if col.kind == colMap {
				have = removeFromMap(have, a)
				continue
			}
			d, err := col.parse(t, a)
			if err != nil {
				return err
			}
			for _, v := range d.keys {
				have = removeAtom(have, v)
			}
		}
		col.set(r, have)
		return nil
	})
}

// removeFromMap drops "KEY" or the pair "KEY=VALUE" from a map datum.
func removeFromMap(d datum, a string) datum {
	sc := &scanner{s: a}
	k, err := sc.atom()
	if err != nil {
		return d
	}
	m := d.toMap()
	if sc.skipSpace(); sc.peek() == '=' {
		sc.pos++
		v, err := sc.atom()
		if err != nil || m[k] != v {
			return d
		}
	}
	delete(m, k)
	return mapDatum(m)
}

func removeAtom(d datum, a string) datum {
	var out datum
	for _, k := range d.keys {
		if k != a {
			out.keys = append(out.keys, k)
		}
	}
	return out
}
