package openflow

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

func hexMsg(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestParseNXMatchErrors checks that malformed matches are refused with
// the OFPBMC code OVS would send.
func TestParseNXMatchErrors(t *testing.T) {
	for _, tc := range nxMatchErrorCases {
		_, err := ParseNXMatch(hexMsg(t, tc.hex))
		var me *MatchError
		if !errors.As(err, &me) || me.Code != tc.code {
			t.Errorf("%s: %v, want code %d", tc.name, err, tc.code)
		}
	}
}

// nxMatchErrorCases are malformed nx_matches and the OFPBMC code each
// earns.
var nxMatchErrorCases = []struct {
	name, hex string
	code      uint16
}{
	{"short header", "000006", BadMatchLen},
	{"short value", "00000602 08", BadMatchLen},
	{"unknown field", "0001fe02 0000", BadMatchField},
	{"wrong length", "00000603 080000", BadMatchField},
	{"mask on unmaskable", "00000704 08000800", BadMatchMask},
	{"missing dl_type", "00000c01 06", BadMatchPrereq},
	{"tcp port without proto", "00000602 0800 00001402 0050", BadMatchPrereq},
	{"duplicate", "00000602 0800 00000602 0800", BadMatchDupField},
	{"value outside mask", "00000602 0800 00000f08 0a000001 ff000000", BadMatchWildcards},
	{"nw_tos low bits", "00000602 0800 00000a01 03", BadMatchValue},
	{"ipv6_label too wide", "00000602 86dd 00013604 00100000", BadMatchValue},
	{"vlan_tci given twice", "00000802 1000 00000802 1000", BadMatchDupField},
	{"experimenter too short", "ffff5402 0000", BadMatchLen},
	{"ip_dscp above 63", "00000602 0800 80001001 40", BadMatchValue},
	{"vlan_pcp without vlan_vid", "80000e01 03", BadMatchPrereq},
	{"OXM in_port in the reserved gap", "80000004 0000ff10", BadMatchValue},
	{"arp_op above 255", "00000602 0806 00001e02 0100", BadMatchValue},
	{"nd_sll on an advert", "00000602 86dd 00000c01 3a 00012a01 88 00013006 fa163e000001", BadMatchPrereq},
	{"tcp_flags above 12 bits", "00000602 0800 00000c01 06 00014402 1000", BadMatchValue},
	{"nd_target needs type", "00000602 86dd 00000c01 3a 00012e10 00000000000000000000000000000001", BadMatchPrereq},
}

func TestParseOXMatchFraming(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		v         Version
		n         int
		ok        bool
	}{
		{"empty", "00010004 00000000", OF13, 8, true},
		{"in_port", "0001000c 80000004 00000001 00000000", OF13, 16, true},
		{"padding missing", "0001000c 80000004 00000001", OF13, 0, false},
		{"standard match type", "00000058", OF13, 0, false},
		{"length below header", "00010002 00000000", OF13, 0, false},
		{"OpenFlow 1.0", "00010004 00000000", OF10, 0, false},
		{"reserved in_port", "0001000c 80000004 fffffffe 00000000", OF13, 16, true},
		{"in_port in the gap", "0001000c 80000004 0000ff10 00000000", OF13, 0, false},
	} {
		_, n, err := ParseOXMatch(tc.v, hexMsg(t, tc.hex))
		if (err == nil) != tc.ok || n != tc.n {
			t.Errorf("%s: n=%d err=%v, want n=%d ok=%v", tc.name, n, err, tc.n, tc.ok)
		}
	}
}

func TestOXMatchInPortLocal(t *testing.T) {
	m, _, err := ParseOXMatch(OF13, hexMsg(t, "0001000c 80000004 fffffffe 00000000"))
	if err != nil {
		t.Fatal(err)
	}
	if got := flowtable.FormatMatch(m, flowtable.DefaultPriority); got != "in_port=LOCAL" {
		t.Errorf("got %q", got)
	}
}

// goldenSeeds adds the goldens' bytes to a fuzz corpus.
func goldenSeeds(f *testing.F, pick func(goldenRow) []byte) {
	for _, r := range readGoldenFile(f) {
		f.Add(pick(r))
	}
}

func FuzzParseNXMatch(f *testing.F) {
	goldenSeeds(f, func(r goldenRow) []byte { return r.nxm })
	f.Add(hexMsg(f, "00000602 0800 00013502 0031")) // nw_frag=no under an odd mask
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseNXMatch(b)
		if err != nil {
			return
		}
		enc, err := AppendNXMatch(nil, m)
		if err != nil {
			t.Fatalf("%x parsed but does not encode: %v", b, err)
		}
		m2, err := ParseNXMatch(enc)
		if err != nil || *m2 != *m {
			t.Fatalf("%x: re-encoded as %x, which parses to a different match (%v)", b, enc, err)
		}
	})
}

func FuzzParseOXMatch(f *testing.F) {
	goldenSeeds(f, func(r goldenRow) []byte { return r.of13 })
	f.Add(hexMsg(f, "00010010 80000a02 0800 00013502 0031"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []Version{OF12, OF13, OF15} {
			m, n, err := ParseOXMatch(v, b)
			if err != nil {
				continue
			}
			if n > len(b) || n%8 != 0 {
				t.Fatalf("%x: n=%d", b, n)
			}
			enc, err := AppendOXMatch(nil, v, m)
			if err != nil {
				t.Fatalf("%x parsed but does not encode: %v", b, err)
			}
			m2, n2, err := ParseOXMatch(v, enc)
			if err != nil || *m2 != *m || n2 != len(enc) {
				t.Fatalf("%v %x: re-encoded as %x, which parses differently (%v)", v, b, enc, err)
			}
		}
	})
}

// TestWireFieldsComplete guards the wire table: every entry is filled in
// and no two share a header.
func TestWireFieldsComplete(t *testing.T) {
	if len(wireIndex) != len(wireFields) {
		t.Errorf("%d wire fields but %d distinct headers", len(wireFields), len(wireIndex))
	}
	for i, w := range wireFields {
		if w.n == 0 || w.id == flowtable.FieldNone {
			t.Errorf("wire field %d is not defined", i)
		}
	}
}
