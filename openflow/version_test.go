package openflow

import "testing"

func TestVersionNames(t *testing.T) {
	for _, tc := range []struct {
		v    Version
		name string
	}{{OF10, "OpenFlow10"}, {OF13, "OpenFlow13"}, {OF15, "OpenFlow15"}} {
		if got := tc.v.String(); got != tc.name {
			t.Errorf("%#x: %q, want %q", uint8(tc.v), got, tc.name)
		}
		if v, err := ParseVersion(tc.name); err != nil || v != tc.v {
			t.Errorf("ParseVersion(%q) = %v, %v", tc.name, v, err)
		}
	}
	if _, err := ParseVersion("OpenFlow16"); err == nil {
		t.Error("OpenFlow16 accepted")
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	msg := AppendHeader(nil, Header{Version: OF13, Type: 2, XID: 0x01020304})
	msg = append(msg, 1, 2, 3)
	SetLength(msg)
	h, err := ParseHeader(msg)
	if err != nil || h.Length != 11 || h.XID != 0x01020304 || h.Version != OF13 || h.Type != 2 {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := ParseHeader(msg[:7]); err == nil {
		t.Error("short header accepted")
	}
}
