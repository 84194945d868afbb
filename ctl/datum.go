package ctl

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// atomKind is the type of an OVSDB atom in a column.
type atomKind uint8

const (
	atomString atomKind = iota
	atomInt
)

// datum is an OVSDB column value as ovs-vsctl reads and prints it: a set
// of atoms (a scalar is a set of one) or, if isMap, a map of atom pairs.
// Atoms are kept as text; the column's atomKind says how to print them.
type datum struct {
	isMap bool
	keys  []string
	vals  []string // map values, parallel to keys
}

// mapDatum makes a datum of a string map, keys sorted.
func mapDatum(m map[string]string) datum {
	d := datum{isMap: true}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, m[k])
	}
	return d
}

// toMap returns a map datum as a Go map.
func (d datum) toMap() map[string]string {
	m := map[string]string{}
	for i, k := range d.keys {
		m[k] = d.vals[i]
	}
	return m
}

// setDatum makes a datum of atoms (nil or "" for an empty optional).
func setDatum(atoms ...string) datum { return datum{keys: atoms} }

// formatAtom prints an atom as ovs-vsctl does: integers bare, strings
// bare when they read back unambiguously, else in double quotes.
func formatAtom(a string, k atomKind) string {
	if k == atomInt || !needsQuotes(a) {
		return a
	}
	return strconv.Quote(a)
}

// needsQuotes reports whether a string atom must be quoted: empty, not
// starting with a letter or '_', holding anything but letters, digits,
// '_', '-' and '.', or spelling a boolean.
func needsQuotes(s string) bool {
	if s == "" || s == "true" || s == "false" {
		return true
	}
	for i, r := range s {
		letter := r < 0x80 && (unicode.IsLetter(r) || r == '_')
		if i == 0 && !letter || i > 0 && !letter && !(r < 0x80 && unicode.IsDigit(r)) && r != '-' && r != '.' {
			return true
		}
	}
	return false
}

// format prints d as ovs-vsctl does: "{k=v, ...}" for a map, "[a, b]" for
// a set, the bare atom for a set of one when single is true (a scalar or
// optional column), "[]" when empty.
func (d datum) format(k, vk atomKind, single bool) string {
	if d.isMap {
		parts := make([]string, len(d.keys))
		for i := range d.keys {
			parts[i] = formatAtom(d.keys[i], k) + "=" + formatAtom(d.vals[i], vk)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if single && len(d.keys) == 1 {
		return formatAtom(d.keys[0], k)
	}
	parts := make([]string, len(d.keys))
	for i, a := range d.keys {
		parts[i] = formatAtom(a, k)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// scanner reads atoms of ovs-vsctl's value syntax.
type scanner struct {
	s   string
	pos int
}

func (sc *scanner) skipSpace() {
	for sc.pos < len(sc.s) && (sc.s[sc.pos] == ' ' || sc.s[sc.pos] == '\t') {
		sc.pos++
	}
}

func (sc *scanner) peek() byte {
	if sc.pos < len(sc.s) {
		return sc.s[sc.pos]
	}
	return 0
}

func (sc *scanner) done() bool { sc.skipSpace(); return sc.pos >= len(sc.s) }

// atom reads a quoted string (Go/JSON escapes) or a bare one ending at a
// delimiter: ',', '=', ']', '}', or a space.
func (sc *scanner) atom() (string, error) {
	sc.skipSpace()
	if sc.peek() == '"' {
		end := sc.pos + 1
		for end < len(sc.s) && sc.s[end] != '"' {
			if sc.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(sc.s) {
			return "", fmt.Errorf("%s: missing closing quote", sc.s)
		}
		a, err := strconv.Unquote(sc.s[sc.pos : end+1])
		if err != nil {
			return "", fmt.Errorf("%s: bad quoted string %s", sc.s, sc.s[sc.pos:end+1])
		}
		sc.pos = end + 1
		return a, nil
	}
	start := sc.pos
	for sc.pos < len(sc.s) && !strings.ContainsRune(",=]} \t", rune(sc.s[sc.pos])) {
		sc.pos++
	}
	return sc.s[start:sc.pos], nil
}

// parseDatum reads a value of ovs-vsctl's syntax: a map "{k=v, ...}" (the
// braces optional) when isMap, else a set "[a, b]" or "a,b" (the brackets
// optional), "[]" or "{}" being empty. An empty string is one empty atom
// for a set (an empty string value), no pairs for a map.
func parseDatum(s string, isMap bool) (datum, error) {
	d := datum{isMap: isMap}
	sc := &scanner{s: strings.TrimSpace(s)}
	closer := byte(0)
	switch sc.peek() {
	case '{':
		closer = '}'
	case '[':
		closer = ']'
	}
	if closer != 0 {
		sc.pos++
	} else if !isMap && sc.s == "" {
		return setDatum(""), nil
	}
	for {
		if sc.done() || sc.peek() == closer && closer != 0 {
			break
		}
		k, err := sc.atom()
		if err != nil {
			return d, err
		}
		d.keys = append(d.keys, k)
		if isMap {
			if sc.skipSpace(); sc.peek() != '=' {
				return d, fmt.Errorf("%q: want KEY=VALUE pairs in a map", s)
			}
			sc.pos++
			v, err := sc.atom()
			if err != nil {
				return d, err
			}
			d.vals = append(d.vals, v)
		}
		if sc.skipSpace(); sc.peek() == ',' {
			sc.pos++
		} else if sc.peek() != closer && !sc.done() {
			return d, fmt.Errorf("%q: unexpected %q at offset %d", s, sc.s[sc.pos], sc.pos)
		}
	}
	if closer != 0 {
		if sc.peek() != closer {
			return d, fmt.Errorf("%q: missing %q", s, closer)
		}
		sc.pos++
	}
	if !sc.done() {
		return d, fmt.Errorf("%q: trailing characters after the value", s)
	}
	return d, nil
}

// parseColumnArg splits "COLUMN[:KEY][=VALUE]" into its parts: the key an
// atom (quotable), the value the raw rest after '='.
func parseColumnArg(arg string) (col, key string, hasKey bool, value string, hasValue bool, err error) {
	i := strings.IndexAny(arg, ":=")
	if i < 0 {
		return arg, "", false, "", false, nil
	}
	col = arg[:i]
	rest := arg[i:]
	if rest[0] == ':' {
		sc := &scanner{s: rest[1:]}
		if key, err = sc.atom(); err != nil {
			return
		}
		hasKey = true
		rest = rest[1+sc.pos:]
	}
	if rest != "" {
		if rest[0] != '=' {
			err = fmt.Errorf("%q: want COLUMN[:KEY]=VALUE", arg)
			return
		}
		value, hasValue = rest[1:], true
	}
	return
}
