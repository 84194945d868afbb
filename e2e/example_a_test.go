package e2e

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/gvs-project/gvs/internal/ovsreplay"
)

// Example A of the Neutron walkthrough (testdata/replay/a-arp-gateway):
// br-int with int-br-vlan 1, qvo-vm 5 (tag 1), qr-gw 6 (tag 1), fg-ext 7
// (tag 2); br-vlan with phy-br-vlan 1 and eth1 2 (trunk). Port numbers
// are those of the flow files' headers.
const caseA = "a-arp-gateway"

// portA is where a pcap port of example A sits.
type portA struct {
	name, bridge string
	ofport       int
}

var pcapPortsA = []portA{
	{"qvo-vm", "br-int", 5},
	{"qr-gw", "br-int", 6},
	{"fg-ext", "br-int", 7},
	{"eth1", "br-vlan", 2},
}

// txPath is where gvsd writes what port sends.
func txPath(dir, port string) string { return filepath.Join(dir, port+"-tx.pcap") }

// setupExampleA builds example A's bridges and ports and loads its flows,
// all through gvsctl.
func setupExampleA(t *testing.T, d *daemon) {
	t.Helper()
	d.ctl("add-br", "br-int", "fail_mode=secure")
	d.ctl("add-br", "br-vlan", "fail_mode=secure")
	// The patch peer is added before it exists: gvsd links the pair when
	// the second half arrives, as OVS does.
	d.ctl("add-port", "br-int", "int-br-vlan", "type=patch", "ofport=1", "options:peer=phy-br-vlan")
	d.ctl("add-port", "br-int", "qvo-vm", "type=pcap", "ofport=5", "tag=1", "options:tx="+txPath(d.dir, "qvo-vm"))
	d.ctl("add-port", "br-int", "qr-gw", "type=pcap", "ofport=6", "tag=1", "options:tx="+txPath(d.dir, "qr-gw"))
	d.ctl("add-port", "br-int", "fg-ext", "type=pcap", "ofport=7", "tag=2", "options:tx="+txPath(d.dir, "fg-ext"))
	d.ctl("add-port", "br-vlan", "phy-br-vlan", "type=patch", "ofport=1", "options:peer=int-br-vlan")
	d.ctl("add-port", "br-vlan", "eth1", "type=pcap", "ofport=2", "options:tx="+txPath(d.dir, "eth1"))
	d.ctl("add-flows", "br-int", filepath.Join(repoRoot, "testdata/flows/A-legacy-br-int.flows"))
	d.ctl("add-flows", "br-vlan", filepath.Join(repoRoot, "testdata/flows/A-legacy-br-vlan.flows"))
}

// readPcap returns the frames of a pcap file (none if it does not exist).
func readPcap(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if errors.Is(err, io.EOF) {
		return nil // not even a header yet
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: frame %d: %v", path, len(out)+1, err)
		}
		out = append(out, data)
	}
}

// expectedA returns, for each input step of example A, what Open vSwitch
// sent on each pcap port.
func expectedA(t *testing.T) (steps []ovsreplay.Step, want []map[string][][]byte) {
	return expectedCase(t, caseA, pcapPortsA)
}

// expectedCase returns, for each input step of a replay case, what Open
// vSwitch sent on each of its pcap ports (expected/<port>.pcap, whose
// timestamps are those of the input frame that caused each output).
func expectedCase(t *testing.T, name string, ports []portA) (steps []ovsreplay.Step, want []map[string][][]byte) {
	t.Helper()
	steps = ovsreplay.Cases[name]
	want = make([]map[string][][]byte, len(steps))
	at := map[int64]int{}
	for i, s := range steps {
		want[i] = map[string][][]byte{}
		at[ovsreplay.Epoch.Add(s.At).UnixMicro()] = i
	}
	dir := filepath.Join(repoRoot, "testdata/replay", name)
	for _, p := range ports {
		ps, err := ovsreplay.ReadPcap(ovsreplay.ExpectedPath(dir, p.name))
		if err != nil {
			t.Fatal(err)
		}
		for _, pk := range ps {
			i, ok := at[pk.Time.UnixMicro()]
			if !ok {
				t.Fatalf("expected %s frame at %v matches no input step", p.name, pk.Time)
			}
			want[i][p.name] = append(want[i][p.name], pk.Data)
		}
	}
	return steps, want
}

// injectExampleA sends every input frame of example A with gvsctl
// packet-out and checks, frame by frame, that each pcap port transmitted
// exactly what Open vSwitch did.
func injectExampleA(t *testing.T, d *daemon) { injectCase(t, d, caseA, pcapPortsA) }

// injectCase sends every input frame of a replay case with gvsctl
// packet-out, in order, and checks frame by frame that each pcap port
// transmitted exactly what Open vSwitch did.
func injectCase(t *testing.T, d *daemon, name string, ports []portA) {
	t.Helper()
	steps, want := expectedCase(t, name, ports)
	portOf := func(n string) portA {
		for _, p := range ports {
			if p.name == n {
				return p
			}
		}
		t.Fatalf("case %s: no port %s", name, n)
		return portA{}
	}
	seen := map[string]int{}
	for _, p := range ports {
		seen[p.name] = len(readPcap(t, txPath(d.dir, p.name)))
	}
	for i, s := range steps {
		in := portOf(s.Port)
		d.ctl("packet-out", in.bridge, "in_port="+strconv.Itoa(in.ofport), hex.EncodeToString(s.Frame))
		// packet-out returns once the frame has run to completion and the
		// pcap devices flush every frame, so the files are complete now.
		for _, p := range ports {
			all := readPcap(t, txPath(d.dir, p.name))
			got := all[seen[p.name]:]
			seen[p.name] = len(all)
			w := want[i][p.name]
			if len(got) != len(w) {
				t.Errorf("frame #%d (%s): %s sent %d frames, Open vSwitch %d", i, s.Note, p.name, len(got), len(w))
				continue
			}
			for j := range got {
				if !bytes.Equal(got[j], w[j]) {
					t.Errorf("frame #%d (%s): %s frame %d:\n got  %s\n want %s", i, s.Note, p.name, j,
						ovsreplay.Describe(got[j]), ovsreplay.Describe(w[j]))
				}
			}
		}
	}
}

var nPacketsRE = regexp.MustCompile(`n_packets=(\d+)`)

// flowPackets returns n_packets of the one dump-flows line that contains
// every one of parts.
func flowPackets(t *testing.T, dump string, parts ...string) int {
	t.Helper()
	var found []string
lines:
	for _, l := range strings.Split(dump, "\n") {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue lines
			}
		}
		found = append(found, l)
	}
	if len(found) != 1 {
		t.Fatalf("want one flow with %q, found %d in:\n%s", parts, len(found), dump)
	}
	m := nPacketsRE.FindStringSubmatch(found[0])
	if m == nil {
		t.Fatalf("no n_packets in %q", found[0])
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// portCounters parses one port of gvsctl dump-ports (ovs-ofctl shape).
func portCounters(t *testing.T, dump string, ofport int) (rx, tx int) {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^  port +%d: rx pkts=(\d+),.*\n +tx pkts=(\d+),`, ofport))
	m := re.FindStringSubmatch(dump)
	if m == nil {
		t.Fatalf("no port %d in dump-ports:\n%s", ofport, dump)
	}
	rx, _ = strconv.Atoi(m[1])
	tx, _ = strconv.Atoi(m[2])
	return rx, tx
}

func TestExampleA(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	setupExampleA(t, d)

	show := d.ctl("show")
	for _, want := range []string{"Bridge br-int", "Bridge br-vlan", "fail_mode: secure",
		"Port qvo-vm\n            tag: 1\n            Interface qvo-vm\n                type: pcap\n                ofport: 5\n",
		"Interface int-br-vlan\n                type: patch\n                ofport: 1\n                options: {peer=\"phy-br-vlan\"}"} {
		if !strings.Contains(show, want) {
			t.Errorf("gvsctl show lacks %q:\n%s", want, show)
		}
	}
	if got := d.ctl("list-br"); got != "br-int\nbr-vlan\n" {
		t.Errorf("list-br = %q", got)
	}

	// trace before any traffic: a flow spec and a frame, neither of which
	// may change counters or the MAC table.
	steps, _ := expectedA(t)
	tr := d.ctl("trace", "br-int", "in_port=1,dl_vlan=196,dl_src=fa:16:3f:00:00:0b,dl_dst=fa:16:3e:11:11:09")
	for _, want := range []string{`bridge("br-int")`, "resubmit(,2)",
		" 2. dl_vlan=196,dl_dst=fa:16:3e:11:11:09, priority 4\n", "mod_dl_src:fa:16:3e:aa:01:01", "output:5",
		"Datapath actions: pop_vlan,set(eth(src=fa:16:3e:aa:01:01,dst=fa:16:3e:11:11:09)),qvo-vm\n"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace of the A2 flow lacks %q:\n%s", want, tr)
		}
	}
	spoofed := steps[4] // arp_spa 192.168.1.99
	tr = d.ctl("trace", "br-int", "in_port=5", "--packet", hex.EncodeToString(spoofed.Frame))
	for _, want := range []string{"Flow: ", "resubmit(,24)", "24. priority 0", "drop"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace of the spoofed ARP lacks %q:\n%s", want, tr)
		}
	}

	injectExampleA(t, d)
	if t.Failed() {
		return
	}

	// dump-flows counters: which flow each of the six frames hit.
	intFlows := d.ctl("dump-flows", "br-int")
	if !strings.HasPrefix(intFlows, "NXST_FLOW reply (xid=0x4):\n cookie=0x0, duration=") {
		t.Errorf("dump-flows is not in the ovs-ofctl shape:\n%s", intFlows)
	}
	for _, c := range []struct {
		parts []string
		n     int
	}{
		{[]string{"table=0,", "priority=10,arp,in_port=5 "}, 3},                       // A1, spoofed IP, spoofed MAC
		{[]string{"table=0,", "priority=9,in_port=5 "}, 1},                            // VM -> remote VM
		{[]string{"table=0,", "priority=4,in_port=1,dl_src=fa:16:3f:00:00:0b "}, 1},   // A2
		{[]string{"table=0,", "priority=3,in_port=1,dl_vlan=196 "}, 1},                // remote ARP reply
		{[]string{"table=24,", "priority=2,arp,in_port=5,arp_spa=192.168.1.9 "}, 2},   // A1, spoofed MAC
		{[]string{"table=24,", "priority=0 "}, 1},                                     // spoofed IP
		{[]string{"table=25,", "priority=2,in_port=5,dl_src=fa:16:3e:11:11:09 "}, 2},  // A1, VM -> remote
		{[]string{"table=2,", "priority=4,dl_vlan=196,dl_dst=fa:16:3e:11:11:09 "}, 1}, // A2
		{[]string{"table=60,", "priority=3 "}, 3},                                     // A1, reply, VM -> remote
	} {
		if n := flowPackets(t, intFlows, c.parts...); n != c.n {
			t.Errorf("br-int flow %q: n_packets=%d, want %d", c.parts, n, c.n)
		}
	}
	vlanFlows := d.ctl("dump-flows", "br-vlan")
	for _, c := range []struct {
		parts []string
		n     int
	}{
		{[]string{"table=1,", "priority=3,arp,dl_vlan=1,arp_tpa=192.168.1.1 "}, 1}, // A1's copy towards the wire
		{[]string{"table=2,", "priority=4,in_port=1,dl_vlan=1 "}, 1},               // VM -> remote VM
		{[]string{"table=3,", "priority=2,dl_src=fa:16:3f:00:00:0b "}, 1},          // A2
		{[]string{"table=3,", "priority=1 "}, 1},                                   // remote ARP reply
	} {
		if n := flowPackets(t, vlanFlows, c.parts...); n != c.n {
			t.Errorf("br-vlan flow %q: n_packets=%d, want %d", c.parts, n, c.n)
		}
	}
	// A filtered dump, as ovs-ofctl dump-flows BR MATCH.
	if got := d.ctl("dump-flows", "br-int", "table=24", "--no-stats"); strings.Count(got, "\n") != 3 || strings.Contains(got, "n_packets") {
		t.Errorf("dump-flows br-int table=24 --no-stats:\n%s", got)
	}

	// dump-ports: rx and tx counters of the pcap ports.
	intPorts := d.ctl("dump-ports", "br-int")
	if !strings.HasPrefix(intPorts, "OFPST_PORT reply (xid=0x2): 5 ports\n") {
		t.Errorf("dump-ports header:\n%s", intPorts)
	}
	for _, c := range []struct{ ofport, rx, tx int }{{5, 4, 2}, {6, 0, 1}, {7, 0, 0}} {
		if rx, tx := portCounters(t, intPorts, c.ofport); rx != c.rx || tx != c.tx {
			t.Errorf("br-int port %d: rx=%d tx=%d, want rx=%d tx=%d", c.ofport, rx, tx, c.rx, c.tx)
		}
	}
	if rx, tx := portCounters(t, d.ctl("dump-ports", "br-vlan", "eth1"), 2); rx != 2 || tx != 1 {
		t.Errorf("br-vlan eth1: rx=%d tx=%d, want rx=2 tx=1", rx, tx)
	}

	// -o json gives the same counters, structured.
	var ports struct {
		Ports []struct {
			Name      string `json:"name"`
			RxPackets string `json:"rxPackets"`
			TxPackets string `json:"txPackets"`
		} `json:"ports"`
	}
	if err := json.Unmarshal([]byte(d.ctl("-o", "json", "dump-ports", "br-int", "qvo-vm")), &ports); err != nil {
		t.Fatal(err)
	}
	if len(ports.Ports) != 1 || ports.Ports[0].Name != "qvo-vm" || ports.Ports[0].RxPackets != "4" || ports.Ports[0].TxPackets != "2" {
		t.Errorf("dump-ports -o json: %+v", ports)
	}

	// fdb-show, in the ovs-appctl fdb/show shape, least recently seen
	// first: NORMAL learned the remote VM behind the patch port (frame 1)
	// and the VM on port 5 (frames 0 and 2), in local VLAN 1.
	fdbRE := regexp.MustCompile(`^ port  VLAN  MAC                Age\n` +
		`    1     1  fa:16:3e:22:22:20 +\d+\n` +
		`    5     1  fa:16:3e:11:11:09 +\d+\n$`)
	if got := d.ctl("fdb-show", "br-int"); !fdbRE.MatchString(got) {
		t.Errorf("fdb-show br-int:\n%s", got)
	}
	// br-vlan learned the remote VM on eth1 and the VM behind the patch,
	// in VLAN 196.
	fdbRE = regexp.MustCompile(`^ port  VLAN  MAC                Age\n` +
		`    2   196  fa:16:3e:22:22:20 +\d+\n` +
		`    1   196  fa:16:3e:11:11:09 +\d+\n$`)
	if got := d.ctl("fdb-show", "br-vlan"); !fdbRE.MatchString(got) {
		t.Errorf("fdb-show br-vlan:\n%s", got)
	}
	d.ctl("fdb-flush", "br-int")
	if got := d.ctl("fdb-show", "br-int"); got != " port  VLAN  MAC                Age\n" {
		t.Errorf("fdb-show after fdb-flush:\n%s", got)
	}

	// Metrics: the scrape shows the traffic.
	checkMetrics(t, d, map[string]int{
		`gvs_port_rx_packets_total{bridge="br-int",port="qvo-vm"}`: 4,
		`gvs_port_rx_packets_total{bridge="br-vlan",port="eth1"}`:  2,
		`gvs_port_tx_packets_total{bridge="br-int",port="qr-gw"}`:  1,
	})
}
