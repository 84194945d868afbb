package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// macFrame is a broadcast-free unicast frame from a MAC numbered n to dst.
func macFrame(n uint32, dst [6]byte) []byte {
	f := make([]byte, 60)
	copy(f, dst[:])
	f[6] = 0x02
	binary.BigEndian.PutUint32(f[8:], n)
	f[12], f[13] = 0x88, 0xb5
	return f
}

// packetOutAll injects frames on a port through one pcap file.
func packetOutAll(t *testing.T, d *daemon, bridge, port string, frames [][]byte) {
	t.Helper()
	path := filepath.Join(d.dir, "inject.pcap")
	if err := os.WriteFile(path, pcapBytes(t, frames...), 0o644); err != nil {
		t.Fatal(err)
	}
	d.ctl("packet-out", bridge, "in_port="+port, "--pcap", path)
}

func flowLines(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "actions=") {
			n++
		}
	}
	return n
}

// TestLearnFloodBounded (issue 16, item 9): a flood of distinct source
// MACs through learn() no longer grows a table without bound: a
// flow_tables limit with eviction keeps table 10 at its limit, and
// learn(limit=N) stops at N flows of its cookie.
func TestLearnFloodBounded(t *testing.T) {
	d := startDaemon(t, daemonConfig{bridges: `
  - name: br0
    fail_mode: secure
    flow_tables: [{table: 10, flow_limit: 100, overflow_policy: evict}]
    ports:
      - {name: p1, ofport: 1, type: pcap}
      - {name: p2, ofport: 2, type: pcap}`})
	d.ctl("add-flow", "br0",
		"table=0,in_port=1,actions=learn(table=10,hard_timeout=300,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),learn(table=11,cookie=0x7,limit=50,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),output:2")
	var frames [][]byte
	for i := uint32(0); i < 1000; i++ {
		frames = append(frames, macFrame(i, [6]byte{0x02, 0, 0, 0, 0, 0xee}))
	}
	packetOutAll(t, d, "br0", "p1", frames)
	if n := flowLines(d.ctl("dump-flows", "br0", "table=10")); n != 100 {
		t.Errorf("table 10 holds %d learned flows after 1000 new MACs, want its flow_limit of 100", n)
	}
	if n := flowLines(d.ctl("dump-flows", "br0", "table=11")); n != 50 {
		t.Errorf("table 11 holds %d flows of learn(limit=50)", n)
	}
	// The newest stay: eviction takes the flows that expire soonest.
	if out := d.ctl("dump-flows", "br0", "table=10"); !strings.Contains(out, "dl_dst=02:00:00:00:03:e7") {
		t.Errorf("the last MAC learned is not in table 10:\n%s", out)
	}
}

// TestMACFloodEvictsFairly (issue 16, item 9): a flood of source MACs on
// VLAN 20 fills the MAC table but evicts its own entries, as Open vSwitch
// does, so VLAN 10's MAC stays learned and unicast to it is not flooded.
func TestMACFloodEvictsFairly(t *testing.T) {
	d := startDaemon(t, daemonConfig{bridges: `
  - name: br0
    fail_mode: standalone
    mac_table_size: 64
    ports:
      - {name: p1, ofport: 1, type: pcap, tag: 10}
      - {name: p2, ofport: 2, type: pcap, tag: 10, options: {tx: p2-tx.pcap}}
      - {name: p3, ofport: 3, type: pcap, tag: 20}
      - {name: p4, ofport: 4, type: pcap, tag: 10, options: {tx: p4-tx.pcap}}`})
	server := [6]byte{0x02, 0, 0, 0, 0x10, 0x01}
	// The server on p2 speaks first, then a flood arrives on VLAN 20.
	packetOutAll(t, d, "br0", "p2", [][]byte{macFrame(0x1001, [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})})
	var flood [][]byte
	for i := uint32(0); i < 500; i++ {
		flood = append(flood, macFrame(0x20000+i, [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	}
	packetOutAll(t, d, "br0", "p3", flood)
	p4 := filepath.Join(d.dir, "p4-tx.pcap")
	before := len(readPcap(t, p4))
	packetOutAll(t, d, "br0", "p1", [][]byte{macFrame(0x1002, server)})
	if n := len(readPcap(t, p4)) - before; n != 0 {
		t.Errorf("unicast to VLAN 10's server was flooded to p4 (%d frames): the VLAN 20 flood evicted its MAC", n)
	}
	if out := d.ctl("fdb/show", "br0"); !strings.Contains(out, "02:00:00:00:10:01") {
		t.Errorf("fdb/show lost the server's MAC:\n%s", out)
	}
}

// TestShowListsLocalPort (issue 16, item 11): show lists the bridge's own
// port, as ovs-vsctl show lists its internal interface.
func TestShowListsLocalPort(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-port", "br0", "p1", "type=pcap")
	if show := d.ctl("show"); !strings.Contains(show, "        Port br0\n            Interface br0\n                type: internal\n") {
		t.Errorf("show lacks the LOCAL port:\n%s", show)
	}
}
