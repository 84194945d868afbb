package bench

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath"
)

func tcpFrame(b testing.TB, src, dst net.HardwareAddr, vlan int, sip, dip net.IP, sport, dport uint16, syn, ack bool, seq, an uint32, payload int) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: sip, DstIP: dip}
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, Seq: seq, Ack: an, Window: 65535}
	t.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ls := []gopacket.SerializableLayer{eth}
	if vlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(vlan), Type: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip, t, gopacket.Payload(make([]byte, payload)))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		b.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// firewallSwitch is Neutron example D: br-int with the openvswitch
// firewall flows, the VM on 5 (tag 1), qr- on 6, and port 1 standing in
// for int-br-vlan (the wire, VLAN 196), with an established TCP
// connection VM:40000 -> 192.168.1.20:22 in zone 1.
func firewallSwitch(b *testing.B) *benchSwitch {
	s := newBenchSwitch(b)
	s.dp.Conntrack = conntrack.New(conntrack.Config{})
	s.bridge(b, "br-int", datapath.FailSecure)
	s.port(b, "br-int", "wire", 1, 0, "")
	s.port(b, "br-int", "vm1", 5, 1, "")
	s.port(b, "br-int", "qr1", 6, 1, "")
	s.flowFile(b, "br-int", "D-master-br-int-ovsfw.flows")
	vm, rem := net.IP{192, 168, 1, 9}, net.IP{192, 168, 1, 20}
	send := func(port string, f []byte) {
		s.w.Receive(s.dp.PortByName(port), append(make([]byte, datapath.Headroom), f...), datapath.Headroom, len(f))
	}
	send("vm1", tcpFrame(b, vmMAC, remMAC, -1, vm, rem, 40000, 22, true, false, 1000, 0, 0))
	send("wire", tcpFrame(b, remMAC, vmMAC, 196, rem, vm, 22, 40000, true, true, 5000, 1001, 0))
	send("vm1", tcpFrame(b, vmMAC, remMAC, -1, vm, rem, 40000, 22, false, true, 1001, 5001, 0))
	return s
}

// BenchmarkFirewallEgressEstablished: VM -> remote on an established
// connection through tables 60, 71 (ct), 72, 73, 94 NORMAL.
func BenchmarkFirewallEgressEstablished(b *testing.B) {
	s := firewallSwitch(b)
	s.run(b, "vm1", tcpFrame(b, vmMAC, remMAC, -1, net.IP{192, 168, 1, 9}, net.IP{192, 168, 1, 20}, 40000, 22, false, true, 1001, 5001, 10), "wire")
}

// BenchmarkFirewallIngressEstablished: remote -> VM replies through tables
// 0, 60, 81 (ct), 82 output:5.
func BenchmarkFirewallIngressEstablished(b *testing.B) {
	s := firewallSwitch(b)
	s.run(b, "wire", tcpFrame(b, remMAC, vmMAC, 196, net.IP{192, 168, 1, 20}, net.IP{192, 168, 1, 9}, 22, 40000, false, true, 5001, 1001, 6), "vm1")
}
