package bench

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// sink is a Device that counts and forgets frames.
type sink struct{ n int }

func (s *sink) Send([]byte) error { s.n++; return nil }
func (s *sink) Close() error      { return nil }

type benchSwitch struct {
	dp    *datapath.Datapath
	w     *datapath.Worker
	sinks map[string]*sink
}

// newBenchSwitch builds the switch a benchmark runs on. GVS_BENCH_NOCACHE=1
// turns the flow cache off, to measure translation itself.
func newBenchSwitch(b *testing.B) *benchSwitch {
	dp := datapath.New()
	dp.NoFlowCache = os.Getenv("GVS_BENCH_NOCACHE") == "1"
	w := dp.NewWorker()
	now := int64(1e18)
	w.Now = func() int64 { return now }
	return &benchSwitch{dp: dp, w: w, sinks: map[string]*sink{}}
}

func (s *benchSwitch) bridge(b *testing.B, name string, mode datapath.FailMode) {
	if _, err := s.dp.AddBridge(name, mode); err != nil {
		b.Fatal(err)
	}
}

func (s *benchSwitch) port(b *testing.B, bridge, name string, no int, tag int, peer string) {
	p := &datapath.Port{Name: name, OFPort: flowtable.Port(no), Type: "pcap"}
	if tag > 0 {
		p.Tag, p.HasTag, p.VLANMode = uint16(tag), true, datapath.VLANAccess
	}
	if peer != "" {
		p.Type = "patch"
	} else {
		d := &sink{}
		s.sinks[name] = d
		p.Dev = d
	}
	if err := s.dp.AddPort(bridge, p, peer); err != nil {
		b.Fatal(err)
	}
}

func (s *benchSwitch) flowFile(b *testing.B, bridge, file string) {
	if err := s.dp.LoadFlowFile(bridge, filepath.Join(repoRoot(b), "testdata", "flows", file)); err != nil {
		b.Fatal(err)
	}
}

// run sends frame on port b.N times and reports pps.
func (s *benchSwitch) run(b *testing.B, port string, frame []byte, wantOut string) {
	p := s.dp.PortByName(port)
	buf := make([]byte, datapath.Headroom+2048)
	before := s.sinks[wantOut].n
	// Warm up: learn, and check the path delivers.
	n := copy(buf[datapath.Headroom:], frame)
	s.w.Receive(p, buf, datapath.Headroom, n)
	if s.sinks[wantOut].n != before+1 {
		b.Fatalf("frame from %s did not reach %s", port, wantOut)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := copy(buf[datapath.Headroom:], frame)
		s.w.Receive(p, buf, datapath.Headroom, n)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pps")
	if got := s.sinks[wantOut].n - before - 1; got != b.N {
		b.Fatalf("%s got %d frames, want %d", wantOut, got, b.N)
	}
}

func repoRoot(b testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

var (
	vmMAC  = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x11, 0x11, 0x09}
	gwMAC  = net.HardwareAddr{0xfa, 0x16, 0x3e, 0xaa, 0x01, 0x01}
	remMAC = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x22, 0x22, 0x20}
)

func udpFrame(b testing.TB, src, dst net.HardwareAddr, vlan int) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 168, 1, 9}, DstIP: net.IP{192, 168, 1, 20}}
	u := &layers.UDP{SrcPort: 1000, DstPort: 2000}
	u.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ls := []gopacket.SerializableLayer{eth}
	if vlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(vlan), Type: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip, u, gopacket.Payload(make([]byte, 18))) // 64-byte frame untagged
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func arpFrame(b testing.TB, src, dst net.HardwareAddr, op uint16, spa, tpa net.IP) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: src, SourceProtAddress: spa.To4(), DstHwAddress: dst, DstProtAddress: tpa.To4()}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, a); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkNormalL2 forwards 64-byte frames between two ports of a
// standalone bridge (its NORMAL flow) after the MACs are learned.
func BenchmarkNormalL2(b *testing.B) {
	s := newBenchSwitch(b)
	s.bridge(b, "br0", datapath.FailStandalone)
	s.port(b, "br0", "p1", 1, 0, "")
	s.port(b, "br0", "p2", 2, 0, "")
	s.w.Receive(s.dp.PortByName("p2"), append(make([]byte, datapath.Headroom), udpFrame(b, remMAC, vmMAC, -1)...), datapath.Headroom, 64)
	s.run(b, "p1", udpFrame(b, vmMAC, remMAC, -1), "p2")
}

// BenchmarkNeutronBrInt runs Neutron's (legacy) br-int pipeline for an ARP
// from the VM to its gateway: table 0 -> 24 -> 25 -> 60 NORMAL -> qr-.
func BenchmarkNeutronBrInt(b *testing.B) {
	s := newBenchSwitch(b)
	s.bridge(b, "br-int", datapath.FailSecure)
	s.port(b, "br-int", "vm1", 5, 1, "")
	s.port(b, "br-int", "qr1", 6, 1, "")
	s.flowFile(b, "br-int", "A-legacy-br-int.flows")
	// The gateway speaks first, so NORMAL knows where it is.
	gw := arpFrame(b, gwMAC, vmMAC, 2, net.IP{192, 168, 1, 1}, net.IP{192, 168, 1, 9})
	s.w.Receive(s.dp.PortByName("qr1"), append(make([]byte, datapath.Headroom), gw...), datapath.Headroom, len(gw))
	s.run(b, "vm1", arpFrame(b, vmMAC, gwMAC, 2, net.IP{192, 168, 1, 9}, net.IP{192, 168, 1, 1}), "qr1")
}

// BenchmarkPatchVLANRewrite sends VM traffic br-int -> patch -> br-vlan,
// where the local VLAN 1 becomes the wire VLAN 196.
func BenchmarkPatchVLANRewrite(b *testing.B) {
	s := newBenchSwitch(b)
	s.bridge(b, "br-int", datapath.FailSecure)
	s.bridge(b, "br-vlan", datapath.FailSecure)
	s.port(b, "br-int", "int-br-vlan", 1, 0, "phy-br-vlan")
	s.port(b, "br-int", "vm1", 5, 1, "")
	s.port(b, "br-vlan", "phy-br-vlan", 1, 0, "int-br-vlan")
	s.port(b, "br-vlan", "eth1", 2, 0, "")
	for _, f := range []struct{ br, flow string }{
		{"br-int", "table=0,priority=3,in_port=1,dl_vlan=196,actions=mod_vlan_vid:1,NORMAL"},
		{"br-int", "table=0,priority=2,in_port=1,actions=drop"},
		{"br-int", "table=0,priority=0,actions=NORMAL"},
		{"br-vlan", "table=0,priority=4,in_port=1,dl_vlan=1,actions=mod_vlan_vid:196,NORMAL"},
		{"br-vlan", "table=0,priority=2,in_port=1,actions=drop"},
		{"br-vlan", "table=0,priority=0,actions=NORMAL"},
	} {
		m, err := flowtable.ParseFlow(f.flow, flowtable.CmdAdd)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.dp.Bridge(f.br).Flows.Apply([]*flowtable.FlowMod{m}, timeZero); err != nil {
			b.Fatal(err)
		}
	}
	back := udpFrame(b, remMAC, vmMAC, 196)
	s.w.Receive(s.dp.PortByName("eth1"), append(make([]byte, datapath.Headroom), back...), datapath.Headroom, len(back))
	if s.sinks["vm1"].n != 1 {
		b.Fatal("the remote MAC was not learned through the patch ports")
	}
	s.run(b, "vm1", udpFrame(b, vmMAC, remMAC, -1), "eth1")
}

var timeZero = time.Unix(0, 0)
