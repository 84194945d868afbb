package openflow

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/flowtable"
)

var updateGoldens = flag.Bool("update-match", false, "regenerate the match and message goldens from live Open vSwitch")

const matchGolden = "testdata/match.golden"

// extraMatches cover fields the Neutron corpus does not use.
var extraMatches = []string{
	"priority=0",
	"priority=7",
	"in_port=LOCAL",
	"in_port=65279",
	"dl_src=fa:16:3e:00:00:01,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00",
	"dl_vlan=10",
	"dl_vlan=10,dl_vlan_pcp=3",
	"vlan_tci=0",
	"vlan_tci=0x1000/0x1000",
	"vlan_tci=0x5123",
	"dl_vlan_pcp=5",
	"ip,nw_tos=16",
	"ip,nw_ecn=2",
	"ip,nw_ttl=9",
	"ip,ip_dscp=10",
	"ip,nw_frag=yes",
	"ip,nw_frag=no",
	"ip,nw_frag=first",
	"ip,nw_frag=later",
	"ip,nw_frag=not_later",
	"ip,nw_dst=192.168.0.0/255.255.0.255",
	"tcp,tp_src=0x100/0xff00,tcp_flags=+syn-ack",
	"tcp,tcp_flags=0x012/0x0ff",
	"udp,udp_src=68,udp_dst=67",
	"sctp,sctp_src=1,sctp_dst=2/0xff",
	"icmp,icmp_type=8,icmp_code=0",
	"icmp,icmp_type=3",
	"arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_sha=fa:16:3e:00:00:01,arp_tha=00:00:00:00:00:00",
	"rarp,arp_op=3",
	"ipv6,ipv6_src=fe80::/64,ipv6_dst=2001:db8::1,ipv6_label=0x12345",
	"ipv6,ipv6_label=0x10/0xf0",
	"tcp6,tp_dst=22",
	"udp6,udp_dst=546",
	"icmp6,icmp_type=135,nd_target=fe80::1,nd_sll=fa:16:3e:00:00:01",
	"icmp6,icmp_type=136,nd_target=fe80::/16,nd_tll=fa:16:3e:00:00:02",
	"icmp6,icmp_type=128,icmp_code=0",
	"tun_id=0x65",
	"tun_id=0x65/0xff",
	"tun_src=10.0.0.1,tun_dst=10.0.0.0/8",
	"metadata=0x5",
	"metadata=0x500/0xff00",
	"pkt_mark=0x1/0x1",
	"reg0=1,reg5=0x10/0xf0,reg15=0xffffffff",
	"xreg1=0x100000001",
	"xxreg0=0x1",
	"conj_id=7",
	"ct_state=+trk+est-rel,ct_zone=5,ct_mark=0x1/0x1",
	"ct_label=0x1/0x1",
	"ct_label=0x1234567890",
	"ct_state=-trk",
	"dl_type=0x88cc",
}

// corpusMatches returns the match parts of Neutron's flows in
// ../shared/spec/flows plus extraMatches, deduplicated.
func corpusMatches(t *testing.T) []string {
	files, _ := filepath.Glob("../../shared/spec/flows/*.flows")
	if len(files) == 0 {
		t.Fatal("no flows in ../../shared/spec/flows")
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "#")
			line = strings.TrimSpace(line)
			i := strings.Index(line, "actions=")
			if i < 0 {
				continue
			}
			var keep []string
			for _, kv := range strings.Split(strings.TrimRight(line[:i], ", "), ",") {
				k, _, _ := strings.Cut(kv, "=")
				switch k {
				case "table", "cookie", "idle_timeout", "hard_timeout", "importance", "send_flow_rem", "":
					continue
				}
				keep = append(keep, kv)
			}
			add(strings.Join(keep, ","))
		}
	}
	for _, s := range extraMatches {
		add(s)
	}
	sort.Strings(out)
	return out
}

// goldenRow is one line of match.golden: a match and what OVS made of it.
type goldenRow struct {
	match                 string
	nxm, of12, of13, of15 []byte
	text10, text13        string // ovs-ofctl ofp-print of the NXM and OpenFlow 1.3 flow mods
}

func (r goldenRow) String() string {
	h := func(b []byte) string {
		if len(b) == 0 {
			return "-"
		}
		return hex.EncodeToString(b)
	}
	return strings.Join([]string{r.match, h(r.nxm), h(r.of12), h(r.of13), h(r.of15), r.text10, r.text13}, "\t")
}

func readGolden(t *testing.T) []goldenRow { return readGoldenFile(t) }

func readGoldenFile(t testing.TB) []goldenRow {
	data, err := os.ReadFile(matchGolden)
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestMatchGolden -update-match)", err)
	}
	var rows []goldenRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 7 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		r := goldenRow{match: f[0], text10: f[5], text13: f[6]}
		for i, p := range []*[]byte{&r.nxm, &r.of12, &r.of13, &r.of15} {
			if f[1+i] != "-" {
				if *p, err = hex.DecodeString(f[1+i]); err != nil {
					t.Fatal(err)
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// liveRows asks ovs-ofctl to encode each match as a flow mod in NXM
// (OpenFlow 1.0), OpenFlow 1.2, 1.3 and 1.5 and to print the 1.3 message back.
func liveRows(t *testing.T, matches []string) []goldenRow {
	dir := t.TempDir()
	file := filepath.Join(dir, "flows")
	var b strings.Builder
	for _, m := range matches {
		fmt.Fprintf(&b, "%s actions=drop\n", m)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var nxm, of15, nxmMsgs [][]byte
	for _, msg := range ofctlMessages(t, OF10, "-F", "nxm", "-O", "OpenFlow10", "--no-names", "add-flows", "SWITCH", file) {
		if msg[1] == 4 && len(msg) >= 16 && msg[15] == 13 {
			nxm = append(nxm, nxtFlowModMatch(t, msg))
			nxmMsgs = append(nxmMsgs, msg)
		}
	}
	of13, of13Msgs := flowMods(t, ofctlMessages(t, OF13, "-O", "OpenFlow13", "--no-names", "add-flows", "SWITCH", file))
	of12, _ := flowMods(t, ofctlMessages(t, OF12, "-O", "OpenFlow12", "--no-names", "add-flows", "SWITCH", file))
	of15, _ = flowMods(t, ofctlMessages(t, OF15, "-O", "OpenFlow15", "--no-names", "add-flows", "SWITCH", file))
	if len(nxm) != len(matches) || len(of12) != len(matches) || len(of13) != len(matches) || len(of15) != len(matches) {
		t.Fatalf("%d matches, OVS sent %d NXM, %d OF1.3, %d OF1.5 flow mods", len(matches), len(nxm), len(of13), len(of15))
	}
	text10, text13 := ofpPrintMatches(t, nxmMsgs), ofpPrintMatches(t, of13Msgs)
	rows := make([]goldenRow, len(matches))
	for i, m := range matches {
		rows[i] = goldenRow{match: m, nxm: nxm[i], of12: of12[i], of13: of13[i], of15: of15[i], text10: text10[i], text13: text13[i]}
	}
	return rows
}

// flowMods returns the matches of the OFPT_FLOW_MOD messages among msgs,
// and the messages.
func flowMods(t *testing.T, msgs [][]byte) (matches, mods [][]byte) {
	for _, msg := range msgs {
		if msg[1] == 14 {
			matches = append(matches, ofpFlowModMatch(t, msg))
			mods = append(mods, msg)
		}
	}
	return matches, mods
}

// ofpPrintMatches returns the match text ovs-ofctl ofp-parse prints for
// each flow mod of msgs (one line each).
func ofpPrintMatches(t *testing.T, msgs [][]byte) []string {
	file := filepath.Join(t.TempDir(), "msgs")
	if err := os.WriteFile(file, bytes.Join(msgs, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ovs-ofctl", "ofp-parse", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ofp-parse: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(msgs) {
		t.Fatalf("ofp-parse printed %d lines for %d messages:\n%s", len(lines), len(msgs), out)
	}
	for i, s := range lines {
		_, s, ok := strings.Cut(s, " ADD ")
		if !ok {
			t.Fatalf("ofp-parse: %q", lines[i])
		}
		s, _, _ = strings.Cut(s, "actions=")
		lines[i] = strings.TrimSpace(s)
	}
	return lines
}

// TestMatchGolden checks the goldens against live Open vSwitch when it is
// installed (always under CI=true), regenerating them with -update-match.
func TestMatchGolden(t *testing.T) {
	if *updateGoldens {
		needOFCtl(t)
		var b strings.Builder
		for _, r := range liveRows(t, corpusMatches(t)) {
			b.WriteString(r.String() + "\n")
		}
		if err := os.WriteFile(matchGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows := readGolden(t)
	needOFCtl(t)
	var matches []string
	for _, r := range rows {
		matches = append(matches, r.match)
	}
	for i, r := range liveRows(t, matches) {
		if r.String() != rows[i].String() {
			t.Errorf("golden is stale:\n got %s\nwant %s", r, rows[i])
		}
	}
}

// parseMatch reads a match in ovs-ofctl syntax.
func parseMatch(t *testing.T, s string) (*flowtable.Match, uint16) {
	t.Helper()
	fm, err := flowtable.ParseFlow(s+" actions=drop", flowtable.CmdAdd)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return &fm.Flow.Match, fm.Flow.Priority
}

// TestMatchEncodeLikeOVS checks our encodings byte for byte against OVS's.
func TestMatchEncodeLikeOVS(t *testing.T) {
	for _, r := range readGolden(t) {
		m, _ := parseMatch(t, r.match)
		nxm, err := AppendNXMatch(nil, m)
		if err != nil || !bytes.Equal(nxm, r.nxm) {
			t.Errorf("%s: NXM\n got %x %v\nwant %x", r.match, nxm, err, r.nxm)
		}
		for _, c := range []struct {
			v    Version
			want []byte
		}{{OF12, r.of12}, {OF13, r.of13}, {OF15, r.of15}} {
			got, err := AppendOXMatch(nil, c.v, m)
			if err != nil || !bytes.Equal(got, c.want) {
				t.Errorf("%s: %v\n got %x %v\nwant %x", r.match, c.v, got, err, c.want)
			}
		}
	}
}

// TestMatchDecodeLikeOVS decodes OVS's bytes and prints them as OVS does.
func TestMatchDecodeLikeOVS(t *testing.T) {
	for _, r := range readGolden(t) {
		_, prio := parseMatch(t, r.match)
		m, err := ParseNXMatch(r.nxm)
		if err != nil {
			t.Errorf("%s: NXM %x: %v", r.match, r.nxm, err)
		} else if got := flowtable.FormatMatch(m, prio); got != r.text10 {
			t.Errorf("%s: NXM decodes to %q, OVS prints %q", r.match, got, r.text10)
		}
		for _, c := range []struct {
			v Version
			b []byte
		}{{OF12, r.of12}, {OF13, r.of13}, {OF15, r.of15}} {
			m, n, err := ParseOXMatch(c.v, c.b)
			if err != nil || n != len(c.b) {
				t.Errorf("%s: %v %x: n=%d %v", r.match, c.v, c.b, n, err)
			} else if got := flowtable.FormatMatch(m, prio); got != r.text13 {
				t.Errorf("%s: %v decodes to %q, OVS prints %q", r.match, c.v, got, r.text13)
			}
		}
	}
}
