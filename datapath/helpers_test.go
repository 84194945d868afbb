package datapath

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/flowtable"
)

// memDev is a Device that keeps what it is sent.
type memDev struct {
	mu     sync.Mutex
	frames [][]byte
}

func (d *memDev) Send(f []byte) error {
	d.mu.Lock()
	d.frames = append(d.frames, append([]byte(nil), f...))
	d.mu.Unlock()
	return nil
}

func (d *memDev) Close() error { return nil }

func (d *memDev) take() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.frames
	d.frames = nil
	return f
}

// testSwitch is a datapath built for a test, with a memDev per port.
type testSwitch struct {
	t    testing.TB
	dp   *Datapath
	w    *Worker
	devs map[string]*memDev
}

func newSwitch(t testing.TB) *testSwitch {
	dp := New()
	w := dp.NewWorker()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	w.Now = func() int64 { return now }
	return &testSwitch{t: t, dp: dp, w: w, devs: map[string]*memDev{}}
}

func (s *testSwitch) bridge(name string, mode FailMode) *Bridge {
	b, err := s.dp.AddBridge(name, mode)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// port adds a port. spec is "name:ofport" plus optional ",tag=N",
// ",trunks=A/B", ",mode=native-untagged", ",patch=PEER".
func (s *testSwitch) port(bridge, spec string) *Port {
	s.t.Helper()
	parts := strings.Split(spec, ",")
	nameNo := strings.SplitN(parts[0], ":", 2)
	p := &Port{Name: nameNo[0], Type: "pcap"}
	p.OFPort = flowtable.Port(atoi(s.t, nameNo[1]))
	var peer string
	p.VLANMode = VLANTrunk
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "tag":
			p.Tag, p.HasTag, p.VLANMode = uint16(atoi(s.t, v)), true, VLANAccess
		case "trunks":
			var vs []uint16
			for _, x := range strings.Split(v, "/") {
				vs = append(vs, uint16(atoi(s.t, x)))
			}
			p.SetTrunks(vs)
			if p.VLANMode == VLANAccess {
				p.VLANMode = VLANTrunk
			}
		case "mode":
			m, err := ParseVLANMode(v)
			if err != nil {
				s.t.Fatal(err)
			}
			p.VLANMode = m
		case "patch":
			p.Type, peer = "patch", v
		}
	}
	if p.Type != "patch" {
		d := &memDev{}
		s.devs[p.Name] = d
		p.Dev = d
	}
	if err := s.dp.AddPort(bridge, p, peer); err != nil {
		s.t.Fatal(err)
	}
	return p
}

func atoi(t testing.TB, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("bad number %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// flows adds ovs-ofctl flows (one per line) to a bridge.
func (s *testSwitch) flows(bridge string, text string) {
	s.t.Helper()
	b := s.dp.Bridge(bridge)
	mods, err := flowtable.ParseFlowsWith(strings.NewReader(text), flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := b.Flows.Apply(mods, time.Now()); err != nil {
		s.t.Fatal(err)
	}
}

// send injects a frame on the named port.
func (s *testSwitch) send(port string, frame []byte) {
	s.t.Helper()
	p := s.dp.PortByName(port)
	if p == nil {
		s.t.Fatalf("no port %s", port)
	}
	s.w.Inject(p, frame)
}

// got returns and clears what each port transmitted, as port -> frames.
func (s *testSwitch) got() map[string][][]byte {
	out := map[string][][]byte{}
	for n, d := range s.devs {
		if f := d.take(); len(f) > 0 {
			out[n] = f
		}
	}
	return out
}

var (
	macVM  = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x11, 0x11, 0x09}
	macGW  = net.HardwareAddr{0xfa, 0x16, 0x3e, 0xaa, 0x01, 0x01}
	macB   = net.HardwareAddr{0xfa, 0x16, 0x3e, 0x22, 0x22, 0x20}
	macBC  = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	ipVM   = net.IP{192, 168, 1, 9}
	ipGW   = net.IP{192, 168, 1, 1}
	ipB    = net.IP{192, 168, 1, 20}
	serial = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
)

// frame serialises layers; a VLAN tag is added when vlan >= 0.
func frame(t testing.TB, src, dst net.HardwareAddr, vlan int, l ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ls := []gopacket.SerializableLayer{eth}
	next := layers.EthernetTypeIPv4
	switch l[0].(type) {
	case *layers.ARP:
		next = layers.EthernetTypeARP
	case *layers.IPv6:
		next = layers.EthernetTypeIPv6
	}
	if vlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(vlan), Type: next})
	} else {
		eth.EthernetType = next
	}
	for _, x := range l {
		if ip, ok := x.(*layers.IPv4); ok {
			for _, y := range l {
				switch y := y.(type) {
				case *layers.TCP:
					y.SetNetworkLayerForChecksum(ip)
				case *layers.UDP:
					y.SetNetworkLayerForChecksum(ip)
				}
			}
		}
	}
	ls = append(ls, l...)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serial, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func arpRequest(src net.HardwareAddr, spa, tpa net.IP) *layers.ARP {
	return &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: src, SourceProtAddress: spa.To4(),
		DstHwAddress: make(net.HardwareAddr, 6), DstProtAddress: tpa.To4()}
}

func ipv4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
}

func udp(sport, dport int) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload("hello gvs")}
}

// decode parses a frame with gopacket for assertions.
func decode(f []byte) gopacket.Packet {
	return gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
}

// exampleTopology adds Neutron example A's bridges and ports: br-int with
// a VM, a router port and a floating-IP port, patched to br-vlan and its
// physical port.
func (s *testSwitch) exampleTopology() {
	s.bridge("br-int", FailSecure)
	s.bridge("br-vlan", FailSecure)
	s.port("br-int", "int-br-vlan:1,patch=phy-br-vlan")
	s.port("br-int", "vm1:5,tag=1")
	s.port("br-int", "qr1:6,tag=1")
	s.port("br-int", "fg1:7,tag=2")
	s.port("br-vlan", "phy-br-vlan:1,patch=int-br-vlan")
	s.port("br-vlan", "eth1:2")
}
