package vswitch

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// TestReplayNATIsDeterministic replays SNAT with a port range twice: the
// hash basis is fixed in a replay, so both runs pick the same ports, and
// those ports lie in the range.
func TestReplayNATIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	in, err := datapath.CreatePcap(filepath.Join(dir, "p1-in.pcap"), func() int64 { return time.Unix(1e9, 0).UnixNano() })
	if err != nil {
		t.Fatal(err)
	}
	for sport := uint16(1000); sport < 1016; sport++ {
		if err := in.Send(natUDPFrame(t, sport)); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	flows := "table=0,in_port=1,udp,actions=ct(commit,nat(src=10.100.0.1:5000-5999)),output:2\n"
	if err := os.WriteFile(filepath.Join(dir, "br0.flows"), []byte(flows), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs [2][]datapath.PcapFrame
	for run := range outs {
		yaml := "bridges:\n  - name: br0\n    fail_mode: secure\n    flows: br0.flows\n    ports:\n" +
			"      - {name: p1, ofport: 1, type: pcap, options: {rx: p1-in.pcap}}\n" +
			"      - {name: p2, ofport: 2, type: pcap, options: {tx: p2-out.pcap}}\n"
		cfgPath := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Replay(cfg, datapath.ReplayOptions{}); err != nil {
			t.Fatal(err)
		}
		if outs[run], err = datapath.ReadPcap(filepath.Join(dir, "p2-out.pcap")); err != nil {
			t.Fatal(err)
		}
	}
	if len(outs[0]) != 16 || len(outs[1]) != 16 {
		t.Fatalf("sent %d and %d frames, want 16 each", len(outs[0]), len(outs[1]))
	}
	moved := 0
	for i := range outs[0] {
		a, b := outs[0][i].Data, outs[1][i].Data
		if !bytes.Equal(a, b) {
			t.Errorf("frame %d differs between runs:\n%x\n%x", i, a, b)
		}
		if !bytes.Equal(a[26:30], []byte{10, 100, 0, 1}) {
			t.Errorf("frame %d: source %v, want 10.100.0.1", i, a[26:30])
		}
		sport := binary.BigEndian.Uint16(a[34:])
		if sport < 5000 || sport > 5999 {
			t.Errorf("frame %d: source port %d outside 5000-5999", i, sport)
		}
		if sport != 1000+uint16(i) {
			moved++
		}
	}
	if moved == 0 {
		t.Error("no source port was translated")
	}
}

func natUDPFrame(t *testing.T, sport uint16) []byte {
	eth := &layers.Ethernet{SrcMAC: []byte{0xaa, 0, 0, 0, 0, 1}, DstMAC: []byte{0xaa, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{192, 168, 1, 9}, DstIP: []byte{10, 100, 0, 14}}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload("q")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
