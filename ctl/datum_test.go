package ctl

import "testing"

// TestDatumRoundTrip checks ovs-vsctl's value syntax: what parses prints
// back as ovs-vsctl prints it.
func TestDatumRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in     string
		isMap  bool
		kind   atomKind
		single bool
		want   string
	}{
		{`{a=b, c="d e"}`, true, atomString, false, `{a=b, c="d e"}`},
		{`a=b,c=d`, true, atomString, false, `{a=b, c=d}`},
		{`{}`, true, atomString, false, `{}`},
		{`{k="x,y"}`, true, atomString, false, `{k="x,y"}`},
		{`{mac="02:00:00:00:00:01"}`, true, atomString, false, `{mac="02:00:00:00:00:01"}`},
		{`1,2`, false, atomInt, false, `[1, 2]`},
		{`[1, 2]`, false, atomInt, false, `[1, 2]`},
		{`[]`, false, atomInt, true, `[]`},
		{`secure`, false, atomString, true, `secure`},
		{`"bad name"`, false, atomString, true, `"bad name"`},
		{`br0`, false, atomString, true, `br0`},
		{`0abc`, false, atomString, true, `"0abc"`},
		{`true`, false, atomString, true, `"true"`},
		{`a.b-c_d`, false, atomString, true, `a.b-c_d`},
		{`"tab\there"`, false, atomString, true, `"tab\there"`},
	} {
		d, err := parseDatum(c.in, c.isMap)
		if err != nil {
			t.Errorf("parseDatum(%q): %v", c.in, err)
			continue
		}
		if got := d.format(c.kind, atomString, c.single); got != c.want {
			t.Errorf("parseDatum(%q) prints %q, want %q", c.in, got, c.want)
		}
	}
}

// TestDatumErrors checks that malformed values are refused, not guessed.
func TestDatumErrors(t *testing.T) {
	for _, c := range []struct {
		in    string
		isMap bool
	}{
		{`{a=b`, true},
		{`{a}`, true},
		{`"open`, false},
		{`[1, 2`, false},
		{`{a=b} x`, true},
		{`a b`, false},
	} {
		if d, err := parseDatum(c.in, c.isMap); err == nil {
			t.Errorf("parseDatum(%q) = %+v, want an error", c.in, d)
		}
	}
}

// TestParseColumnArg checks the split of COLUMN[:KEY][=VALUE].
func TestParseColumnArg(t *testing.T) {
	for _, c := range []struct {
		arg, col, key, value string
		hasKey, hasValue     bool
	}{
		{"external_ids:x=y", "external_ids", "x", "y", true, true},
		{`external_ids:"a b"=c`, "external_ids", "a b", "c", true, true},
		{"tag=5", "tag", "", "5", false, true},
		{"external_ids:k", "external_ids", "k", "", true, false},
		{"name", "name", "", "", false, false},
		{`external_ids={a=b}`, "external_ids", "", "{a=b}", false, true},
		{"options:rx=/a=b.pcap", "options", "rx", "/a=b.pcap", true, true},
	} {
		col, key, hasKey, value, hasValue, err := parseColumnArg(c.arg)
		if err != nil || col != c.col || key != c.key || hasKey != c.hasKey || value != c.value || hasValue != c.hasValue {
			t.Errorf("parseColumnArg(%q) = %q %q %v %q %v %v", c.arg, col, key, hasKey, value, hasValue, err)
		}
	}
}
