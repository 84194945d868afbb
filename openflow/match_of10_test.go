package openflow

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

const of10Golden = "testdata/match_of10.golden"

// of10Rows encodes with live OVS (ovs-ofctl -F openflow10) each match and
// returns "match<TAB>ofp10_match hex<TAB>ofp-parse text" lines.
func of10Rows(t *testing.T, matches []string) []string {
	file := filepath.Join(t.TempDir(), "flows")
	var b strings.Builder
	for _, m := range matches {
		b.WriteString(m + " actions=drop\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var mods [][]byte
	for _, msg := range ofctlMessages(t, OF10, "-F", "openflow10", "-O", "OpenFlow10", "--no-names", "add-flows", "SWITCH", file) {
		if msg[1] == 14 {
			mods = append(mods, msg)
		}
	}
	if len(mods) != len(matches) {
		t.Fatalf("%d matches, %d flow mods", len(matches), len(mods))
	}
	text := ofpPrintMatches(t, mods)
	rows := make([]string, len(matches))
	for i, m := range matches {
		rows[i] = m + "\t" + hex.EncodeToString(mods[i][8:8+OF10MatchLen]) + "\t" + text[i]
	}
	return rows
}

// TestOF10MatchLikeOVS checks AppendOF10Match and ParseOF10Match against
// what ovs-ofctl sends for every golden match OpenFlow 1.0 can express.
func TestOF10MatchLikeOVS(t *testing.T) {
	if *updateGoldens {
		needOFCtl(t)
		var ok []string
		for _, r := range readGolden(t) {
			m, _ := parseMatch(t, r.match)
			if _, err := AppendOF10Match(nil, m); err == nil {
				ok = append(ok, r.match)
			}
		}
		if err := os.WriteFile(of10Golden, []byte(strings.Join(of10Rows(t, ok), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(of10Golden)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var matches []string
	for _, line := range lines {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("bad golden line %q", line)
		}
		matches = append(matches, f[0])
		m, prio := parseMatch(t, f[0])
		want := hexMsg(t, f[1])
		got, err := AppendOF10Match(nil, m)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x %v\nwant %x", f[0], got, err, want)
		}
		back, err := ParseOF10Match(want)
		if err != nil {
			t.Errorf("%s: %v", f[0], err)
		} else if s := flowtable.FormatMatch(back, prio); s != f[2] {
			t.Errorf("%s: decodes to %q, OVS prints %q", f[0], s, f[2])
		}
	}
	needOFCtl(t)
	// What we refuse, OVS must refuse too.
	for _, r := range readGolden(t) {
		m, _ := parseMatch(t, r.match)
		if _, err := AppendOF10Match(nil, m); err != nil {
			cmd := exec.Command("ovs-ofctl", "-F", "openflow10", "-O", "OpenFlow10", "parse-flow", r.match+" actions=drop")
			if cmd.Run() == nil {
				t.Errorf("%s: OVS encodes it in OpenFlow 1.0, we refuse: %v", r.match, err)
			}
		}
	}
	for i, r := range of10Rows(t, matches) {
		if r != lines[i] {
			t.Errorf("golden is stale:\n got %s\nwant %s", r, lines[i])
		}
	}
}

func TestOF10MatchRefuses(t *testing.T) {
	for _, s := range []string{"reg0=1", "ipv6", "dl_src=01:00:00:00:00:00/01:00:00:00:00:00", "ip,nw_src=10.0.0.1/255.0.255.0", "tun_id=1", "ct_state=+trk", "tcp,tp_dst=0x10/0xf0", "ip,nw_ttl=3"} {
		m, _ := parseMatch(t, s)
		if b, err := AppendOF10Match(nil, m); err == nil {
			t.Errorf("%s encoded as %x", s, b)
		}
	}
	if _, err := ParseOF10Match(make([]byte, 39)); err == nil {
		t.Error("39-byte match accepted")
	}
}

func FuzzParseOF10Match(f *testing.F) {
	f.Add(make([]byte, OF10MatchLen))
	f.Add(hexMsg(f, "003820ee 0001 000000000000 000000000000 0000 00 00 0800 00 06 0000 0a000000 00000000 0000 0050"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseOF10Match(b)
		if err != nil {
			return
		}
		enc, err := AppendOF10Match(nil, m)
		if err != nil {
			return // e.g. a VLAN form OpenFlow 1.0 decodes but cannot re-encode
		}
		m2, err := ParseOF10Match(enc)
		if err != nil || *m2 != *m {
			t.Fatalf("%x: re-encoded as %x, parses differently", b, enc)
		}
	})
}
