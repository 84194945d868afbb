package e2e

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/gvs-project/gvs/datapath"
)

// TestVerbs runs the gvsctl verbs example A does not: port and flow
// edits, deletions, dump-tables, drops, capture and packet-out --pcap.
func TestVerbs(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-br", "br0", "--may-exist")
	if _, errOut, err := d.gvsctlErr("add-br", "br0"); err == nil || !strings.Contains(errOut, "br0") {
		t.Errorf("add-br of an existing bridge: %v %s", err, errOut)
	}
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1", "tag=10")
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2", "tag=10", "options:tx="+txPath(d.dir, "p2"))
	d.ctl("add-port", "br0", "p3", "type=pcap", "ofport=3", "trunks=10,20", "options:tx="+txPath(d.dir, "p3"))
	if got := d.ctl("list-ports", "br0"); got != "p1\np2\np3\n" {
		t.Errorf("list-ports = %q", got)
	}
	d.ctl("set-port", "p1", "tag=20")
	d.ctl("set-port", "p3", "trunks=[]")
	show := d.ctl("show")
	if !strings.Contains(show, "Port p1\n            tag: 20\n") || strings.Contains(show, "trunks:") {
		t.Errorf("show after set-port:\n%s", show)
	}
	d.ctl("set-port", "p1", "tag=10")
	// A refused change leaves the port as it was: an unknown option, and a
	// tx file that cannot be opened.
	before := d.ctl("show")
	if _, errOut, err := d.gvsctlErr("set-port", "p2", "options:bogus=1"); err == nil || !strings.Contains(errOut, "bogus") {
		t.Errorf("set-port with an unknown option: %v %s", err, errOut)
	}
	if _, errOut, err := d.gvsctlErr("set-port", "p2", "options:tx=/nonexistent/dir/x.pcap"); err == nil || !strings.Contains(errOut, "nonexistent") {
		t.Errorf("set-port with an unopenable tx file: %v %s", err, errOut)
	}
	if got := d.ctl("show"); got != before {
		t.Errorf("show after refused set-port:\n%s\nbefore:\n%s", got, before)
	}

	// Flow edits, as ovs-ofctl.
	d.ctl("add-flow", "br0", "priority=100,dl_src=02:00:00:00:00:99,actions=drop")
	d.ctl("mod-flows", "br0", "dl_src=02:00:00:00:00:99,actions=output:3")
	if got := d.ctl("dump-flows", "br0", "dl_src=02:00:00:00:00:99", "--no-stats"); got != " priority=100,dl_src=02:00:00:00:00:99 actions=output:3\n" {
		t.Errorf("after mod-flows: %q", got)
	}
	d.ctl("del-flows", "--strict", "br0", "priority=99,dl_src=02:00:00:00:00:99") // other priority: no match
	if got := d.ctl("dump-flows", "br0", "--no-stats"); strings.Count(got, "\n") != 2 {
		t.Errorf("del-flows --strict of another priority removed something:\n%s", got)
	}
	d.ctl("del-flows", "--strict", "br0", "priority=100,dl_src=02:00:00:00:00:99")
	if got := d.ctl("dump-flows", "br0", "--no-stats"); got != " priority=0 actions=NORMAL\n" {
		t.Errorf("after del-flows --strict: %q", got)
	}
	if got := d.ctl("dump-flows", "br0", "-O", "OpenFlow13"); !strings.HasPrefix(got, "OFPST_FLOW reply (OF1.3) (xid=0x2):\n") {
		t.Errorf("dump-flows -O OpenFlow13:\n%s", got)
	}

	// packet-out --pcap: every frame of the file, here a broadcast and a
	// frame to an unknown MAC on VLAN 10 (both flood: p2 untagged, p3
	// tagged).
	in := filepath.Join(d.dir, "in.pcap")
	w, err := datapath.CreatePcap(in, func() int64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	bcast := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, seqFrame(1)[6:]...)
	for _, f := range [][]byte{bcast, seqFrame(2)} {
		if err := w.Send(f); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	d.ctl("packet-out", "br0", "in_port=p1", "--pcap", in)
	if n, m := len(readPcap(t, txPath(d.dir, "p2"))), len(readPcap(t, txPath(d.dir, "p3"))); n != 2 || m != 2 {
		t.Errorf("after packet-out --pcap: p2 sent %d, p3 %d, want 2 and 2", n, m)
	}
	tables := d.ctl("dump-tables", "br0")
	if !strings.HasPrefix(tables, "OFPST_TABLE reply (xid=0x2):\n  table 0:\n    active=1, lookup=2, matched=2\n") {
		t.Errorf("dump-tables:\n%s", tables)
	}
	if got := d.ctl("drops", "br0"); !strings.HasPrefix(got, "br0:\n") || !strings.Contains(got, "malformed") {
		t.Errorf("drops:\n%s", got)
	}

	// capture -c 1 to stdout, read as a pcap stream.
	var capOut bytes.Buffer
	capCmd := exec.Command(gvsctlBin, "--socket", d.sock, "capture", "br0", "p2", "-c", "1", "--direction", "tx")
	capCmd.Stdout = &capOut
	if err := capCmd.Start(); err != nil {
		t.Fatal(err)
	}
	capDone := make(chan error, 1)
	go func() { capDone <- capCmd.Wait() }()
	t.Cleanup(func() { capCmd.Process.Kill() })
	frame := hex.EncodeToString(bcast)
	deadline := time.Now().Add(10 * time.Second)
wait:
	for {
		d.ctl("packet-out", "br0", "in_port=1", frame) // until the capture is attached and sees one
		select {
		case err := <-capDone:
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			break wait
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("capture -c 1 did not finish")
		}
	}
	r, err := pcapgo.NewReader(&capOut)
	if err != nil {
		t.Fatalf("capture output is not a pcap: %v", err)
	}
	data, _, err := r.ReadPacketData()
	if err != nil || !bytes.Equal(data, bcast) {
		t.Errorf("captured %x, %v; want %x", data, err, bcast)
	}

	// Deletions. del-port BRIDGE PORT refuses a port of another bridge.
	if _, errOut, err := d.gvsctlErr("del-port", "no-such-br", "p3"); err == nil || !strings.Contains(errOut, "does not have a port p3") {
		t.Errorf("del-port on the wrong bridge: %v %s", err, errOut)
	}
	d.ctl("del-port", "br0", "p3")
	d.ctl("del-port", "--if-exists", "p3")
	if _, errOut, err := d.gvsctlErr("del-port", "p3"); err == nil || !strings.Contains(errOut, "p3") {
		t.Errorf("del-port of a missing port: %v %s", err, errOut)
	}
	d.ctl("del-flows", "br0")
	if got := d.ctl("dump-flows", "br0", "--no-stats"); got != "" {
		t.Errorf("after del-flows br0: %q", got)
	}
	d.ctl("del-br", "br0")
	d.ctl("del-br", "--if-exists", "br0")
	if got := d.ctl("show"); got != "gvs\n" {
		t.Errorf("show after del-br:\n%s", got)
	}
	if _, errOut, err := d.gvsctlErr("dump-flows", "br0"); err == nil || !strings.Contains(errOut, "no bridge named br0") {
		t.Errorf("dump-flows of a deleted bridge: %v %s", err, errOut)
	}
}

// TestConfigBridges starts gvsd on a configuration that has bridges: the
// flows file is loaded and a pcap port's rx file plays once at start.
func TestConfigBridges(t *testing.T) {
	dir := t.TempDir()
	rx := filepath.Join(dir, "p1-in.pcap")
	w, err := datapath.CreatePcap(rx, func() int64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.Send(seqFrame(uint64(i)))
	}
	w.Close()
	if err := os.WriteFile(filepath.Join(dir, "br0.flows"), []byte("priority=5,in_port=1,actions=output:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, daemonConfig{dir: dir, bridges: `
  - name: br0
    fail_mode: secure
    flows: br0.flows
    mac_aging_time: 42
    ports:
      - {name: p1, ofport: 1, type: pcap, options: {rx: p1-in.pcap}}
      - {name: p2, ofport: 2, type: pcap, options: {tx: p2-out.pcap}}`})
	if n := len(readPcap(t, filepath.Join(dir, "p2-out.pcap"))); n != 3 {
		t.Errorf("p2 sent %d frames of p1's rx file, want 3", n)
	}
	if got := d.ctl("dump-flows", "br0"); flowPackets(t, got, "priority=5,in_port=1 ") != 3 {
		t.Errorf("dump-flows:\n%s", got)
	}
	state, err := os.ReadFile(filepath.Join(dir, "state", "state.json"))
	if err != nil || !strings.Contains(string(state), `"mac_aging_time": "42s"`) {
		t.Errorf("state file (%v):\n%s", err, state)
	}
}
