package ctl

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/vswitch"
)

// row is one record of a table: a copy that commands edit and then
// commit. Bridge rows have br, Port and Interface rows pr, the
// Open_vSwitch row root.
type row struct {
	br   *vswitch.BridgeRecord
	pr   *vswitch.PortRecord
	root *vswitch.RootRecord
}

// name is how commands name the record: the Open_vSwitch one is ".".
func (r row) name() string {
	switch {
	case r.root != nil:
		return "."
	case r.br != nil:
		return r.br.Name
	}
	return r.pr.Config.Name
}

// colKind is how many atoms a column holds, as in the OVSDB schema.
type colKind uint8

const (
	colScalar   colKind = iota // exactly one
	colOptional                // zero or one: "[]" when empty
	colSet                     // any number
	colMap                     // key=value pairs (string to string)
)

// column is one column of a table: how to read it from a row and, unless
// readOnly, how to write it.
type column struct {
	name     string
	kind     colKind
	atom     atomKind
	readOnly bool
	check    func(atom string) error // validates a written atom; nil = any
	get      func(r row) datum
	set      func(r row, d datum) // d already checked
}

// table is one of the OVSDB tables gvs keeps: Bridge, Port, Interface.
type table struct {
	name    string
	columns []*column
	rows    func(tx *vswitch.Tx) []row
}

// tables are the tables ovs-vsctl's database commands reach.
var tables = []*table{rootTable, bridgeTable, portTable, ifaceTable}

// portTypes are the interface types gvs has, as iface_types lists them.
var portTypes = []string{"afxdp", "internal", "patch", "pcap", "system", "tap"}

var rootTable = &table{name: "Open_vSwitch", rows: func(tx *vswitch.Tx) []row {
	r := tx.Root()
	return []row{{root: &r}}
}, columns: []*column{
	mapColumn("external_ids", func(r row) *map[string]string { return &r.root.ExternalIDs }),
	mapColumn("other_config", func(r row) *map[string]string { return &r.root.OtherConfig }),
	{name: "iface_types", kind: colSet, readOnly: true, get: func(row) datum { return setDatum(portTypes...) }},
}}

var bridgeTable = &table{name: "Bridge", rows: func(tx *vswitch.Tx) []row {
	var out []row
	for _, b := range tx.Bridges() {
		out = append(out, row{br: &b})
	}
	return out
}, columns: []*column{
	{name: "name", readOnly: true, get: func(r row) datum { return setDatum(r.br.Name) }},
	{name: "fail_mode", kind: colOptional, check: oneOf("secure", "standalone"),
		get: func(r row) datum { return setDatum(nonEmpty(r.br.FailMode)...) },
		set: func(r row, d datum) { r.br.FailMode = first(d) }},
	mapColumn("external_ids", func(r row) *map[string]string { return &r.br.ExternalIDs }),
	mapColumn("other_config", func(r row) *map[string]string { return &r.br.OtherConfig }),
}}

func portRows(tx *vswitch.Tx) []row {
	var out []row
	for _, p := range tx.Ports() {
		out = append(out, row{pr: &p})
	}
	return out
}

var portTable = &table{name: "Port", rows: portRows, columns: []*column{
	{name: "name", readOnly: true, get: func(r row) datum { return setDatum(r.pr.Config.Name) }},
	{name: "tag", kind: colOptional, atom: atomInt, check: intRange(0, 4095),
		get: func(r row) datum {
			if t := r.pr.Config.Tag; t != nil {
				return setDatum(strconv.Itoa(int(*t)))
			}
			return datum{}
		},
		set: func(r row, d datum) {
			r.pr.Config.Tag = nil
			if len(d.keys) == 1 {
				n, _ := strconv.Atoi(d.keys[0])
				t := uint16(n)
				r.pr.Config.Tag = &t
			}
		}},
	{name: "trunks", kind: colSet, atom: atomInt, check: intRange(0, 4095),
		get: func(r row) datum {
			var d datum
			for _, v := range slices.Sorted(slices.Values(r.pr.Config.Trunks)) {
				d.keys = append(d.keys, strconv.Itoa(int(v)))
			}
			return d
		},
		set: func(r row, d datum) {
			r.pr.Config.Trunks = nil
			for _, a := range d.keys {
				n, _ := strconv.Atoi(a)
				if !slices.Contains(r.pr.Config.Trunks, uint16(n)) {
					r.pr.Config.Trunks = append(r.pr.Config.Trunks, uint16(n))
				}
			}
		}},
	{name: "vlan_mode", kind: colOptional, check: oneOf("access", "native-tagged", "native-untagged", "trunk"),
		get: func(r row) datum { return setDatum(nonEmpty(r.pr.Config.VLANMode)...) },
		set: func(r row, d datum) { r.pr.Config.VLANMode = first(d) }},
	mapColumn("external_ids", func(r row) *map[string]string { return &r.pr.Config.ExternalIDs }),
	mapColumn("other_config", func(r row) *map[string]string { return &r.pr.Config.OtherConfig }),
}}

var ifaceTable = &table{name: "Interface", rows: portRows, columns: []*column{
	{name: "name", readOnly: true, get: func(r row) datum { return setDatum(r.pr.Config.Name) }},
	// A system interface's type is "" in Open vSwitch.
	{name: "type", check: oneOf(append([]string{""}, portTypes...)...),
		get: func(r row) datum {
			if r.pr.Config.Type == config.KindSystem {
				return setDatum("")
			}
			return setDatum(string(r.pr.Config.Type))
		},
		set: func(r row, d datum) {
			r.pr.Config.Type = config.PortKind(first(d))
			if r.pr.Config.Type == "" {
				r.pr.Config.Type = config.KindSystem
			}
		}},
	mapColumn("options", func(r row) *map[string]string { return &r.pr.Config.Options }),
	{name: "ofport", kind: colOptional, atom: atomInt, readOnly: true, get: ofportDatum},
	{name: "ofport_request", kind: colOptional, atom: atomInt, check: intRange(1, config.MaxOFPort), get: ofportDatum,
		set: func(r row, d datum) {
			n, _ := strconv.Atoi(first(d))
			r.pr.Config.OFPort = uint16(n)
		}},
	{name: "error", kind: colOptional, readOnly: true, get: func(r row) datum { return setDatum(nonEmpty(r.pr.Error)...) }},
	{name: "link_state", kind: colOptional, readOnly: true, get: func(r row) datum {
		return setDatum(linkState(r.pr.LinkUp))
	}},
	mapColumn("external_ids", func(r row) *map[string]string { return &r.pr.Config.IfaceExternalIDs }),
	mapColumn("other_config", func(r row) *map[string]string { return &r.pr.Config.IfaceOtherConfig }),
}}

func ofportDatum(r row) datum {
	if r.pr.Config.OFPort == 0 {
		return datum{}
	}
	return setDatum(strconv.Itoa(int(r.pr.Config.OFPort)))
}

// mapColumn is a string-to-string map column kept in the field at.
func mapColumn(name string, at func(r row) *map[string]string) *column {
	return &column{name: name, kind: colMap,
		get: func(r row) datum { return mapDatum(*at(r)) },
		set: func(r row, d datum) {
			m := d.toMap()
			if len(m) == 0 {
				m = nil
			}
			*at(r) = m
		}}
}

func first(d datum) string {
	if len(d.keys) == 0 {
		return ""
	}
	return d.keys[0]
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// oneOf checks an atom against an enumeration, in ovs-vsctl's words.
func oneOf(allowed ...string) func(string) error {
	return func(a string) error {
		if slices.Contains(allowed, a) {
			return nil
		}
		return fmt.Errorf("constraint violation: %s is not one of the allowed values ([%s])", a, strings.Join(allowed, ", "))
	}
}

// intRange checks an integer atom, in ovs-vsctl's words.
func intRange(lo, hi int) func(string) error {
	return func(a string) error {
		n, err := strconv.Atoi(a)
		if err != nil {
			return fmt.Errorf("%q is not a valid integer", a)
		}
		if n < lo || n > hi {
			return fmt.Errorf("constraint violation: %d is not in the valid range %d to %d (inclusive)", n, lo, hi)
		}
		return nil
	}
}

// byName finds the item named want, case-insensitively, or by a prefix
// only it has, as ovs-vsctl finds tables and columns.
func byName[T any](items []T, name func(T) string, want string) (T, bool) {
	var found []T
	for _, it := range items {
		n := name(it)
		if strings.EqualFold(n, want) {
			return it, true
		}
		if want != "" && len(want) < len(n) && strings.EqualFold(n[:len(want)], want) {
			found = append(found, it)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	var zero T
	return zero, false
}

// lookupTable finds a table by name (byName).
func lookupTable(name string) (*table, error) {
	if t, ok := byName(tables, func(t *table) string { return t.name }, name); ok {
		return t, nil
	}
	return nil, invalid("unknown table %q", name)
}

// column finds a column of t by name (byName).
func (t *table) column(name string) (*column, error) {
	if c, ok := byName(t.columns, func(c *column) string { return c.name }, name); ok {
		return c, nil
	}
	return nil, invalid("%s does not contain a column whose name matches %q", t.name, name)
}

// format prints c's value in r as ovs-vsctl's list and get do.
func (c *column) format(r row) string {
	return c.get(r).format(c.atom, atomString, c.kind != colSet)
}

// parse reads a value for c, checking its atoms and their number.
func (c *column) parse(t *table, value string) (datum, error) {
	d, err := parseDatum(value, c.kind == colMap)
	if err != nil {
		return d, invalid("%v", err)
	}
	if c.kind != colMap && len(d.keys) == 1 && d.keys[0] == "" && c.atom == atomInt {
		d.keys = nil
	}
	if err := c.checkDatum(t, d); err != nil {
		return d, err
	}
	return d, nil
}

// checkDatum checks d's atoms and their number against c.
func (c *column) checkDatum(t *table, d datum) error {
	switch {
	case c.kind == colScalar && len(d.keys) != 1:
		return invalid("column %s of table %s must have exactly one value", c.name, t.name)
	case c.kind == colOptional && len(d.keys) > 1:
		return invalid("column %s of table %s may have at most one value", c.name, t.name)
	}
	if c.check != nil && !d.isMap {
		for _, a := range d.keys {
			if err := c.check(a); err != nil {
				return invalid("%v", err)
			}
		}
	}
	return nil
}
