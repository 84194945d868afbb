package ovsreplay

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The input frames of every case, built in Go so they are reproducible:
// GVS_UPDATE_GOLDENS=1 writes them to <case>/<port>-in.pcap, and the normal
// test run checks that the committed files still match this code.

// Step is one input frame of a case.
type Step struct {
	At    time.Duration // offset from the case's start (pcap timestamp)
	Port  string        // port it arrives on
	Note  string        // what the frame tests
	Frame []byte
}

// Epoch is the pcap timestamp of offset 0 in every case.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Values of the Neutron walkthrough (shared/spec/neutron-pipeline.md §7).
var (
	macVM     = mac("fa:16:3e:11:11:09") // VM 192.168.1.9 on this host (ofport 5)
	macGW     = mac("fa:16:3e:aa:01:01") // qr- / gateway 192.168.1.1
	macDVRA   = mac("fa:16:3f:00:00:0a") // this host's DVR MAC
	macDVRB   = mac("fa:16:3f:00:00:0b") // host B's DVR MAC
	macRemote = mac("fa:16:3e:22:22:20") // VM 192.168.1.20 on host B
	macFG     = mac("fa:16:3e:f0:00:07") // fg- port, FIP 10.100.0.7 (constructed)
	macPeer   = mac("fa:16:3e:0e:00:14") // external peer 10.100.0.14 (constructed)
	macBcast  = mac("ff:ff:ff:ff:ff:ff")
	macZero   = mac("00:00:00:00:00:00")
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func ip(s string) net.IP { return net.ParseIP(s).To4() }

// frame serialises an Ethernet frame, with an 802.1Q header when vlan >= 0.
func frame(vlan int, pcp uint8, src, dst net.HardwareAddr, typ layers.EthernetType, rest ...gopacket.SerializableLayer) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: typ}
	ls := []gopacket.SerializableLayer{eth}
	if vlan >= 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(vlan), Priority: pcp, Type: typ})
	}
	ls = append(ls, rest...)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// arp builds an ARP request (op 1) or reply (op 2); vlan < 0 = untagged.
func arp(vlan int, src, dst net.HardwareAddr, op uint16, sha net.HardwareAddr, spa string, tha net.HardwareAddr, tpa string) []byte {
	return frame(vlan, 0, src, dst, layers.EthernetTypeARP, &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
		SourceHwAddress: sha, SourceProtAddress: ip(spa),
		DstHwAddress: tha, DstProtAddress: ip(tpa),
	})
}

// udp builds an IPv4/UDP frame whose payload names the frame.
func udp(vlan int, src, dst net.HardwareAddr, sip, dip, payload string) []byte {
	return udpPCP(vlan, 0, src, dst, sip, dip, payload)
}

// udpPCP is udp with a VLAN priority.
func udpPCP(vlan int, pcp uint8, src, dst net.HardwareAddr, sip, dip, payload string) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ip(sip), DstIP: ip(dip)}
	u := &layers.UDP{SrcPort: 40000, DstPort: 9}
	if err := u.SetNetworkLayerForChecksum(ip4); err != nil {
		panic(err)
	}
	return frame(vlan, pcp, src, dst, layers.EthernetTypeIPv4, ip4, u, gopacket.Payload(payload))
}

// Cases maps every case directory name to its input frames.
var Cases = map[string][]Step{
	"a-arp-gateway": caseA(),
	"b-master-dvr":  caseB(),
	"normal-vlans":  caseNormal(),
	"resubmit-loop": caseLoop(),
	"d-firewall":    caseD(),
	"ct-states":     caseCTStates(),
	"ct-expiry":     caseCTExpiry(),
}

const ms = time.Millisecond

// seq numbers steps 1 ms apart when At is left 0.
func seq(steps []Step) []Step {
	for i := range steps {
		if steps[i].At == 0 {
			steps[i].At = time.Duration(i) * ms
		}
	}
	return steps
}

// Example A: legacy (<= Stein) DVR flows, VLAN provider.
// br-int: int-br-vlan 1, qvo-vm 5 (tag 1), qr-gw 6 (tag 1), fg-ext 7 (tag 2);
// br-vlan: phy-br-vlan 1, eth1 2 (trunk, all VLANs).
func caseA() []Step {
	return seq([]Step{
		{Port: "qvo-vm", Note: "A1: VM ARP who-has 192.168.1.1 (gateway): NORMAL in VLAN 1, br-vlan table 1 drops the copy towards the wire",
			Frame: arp(-1, macVM, macBcast, 1, macVM, "192.168.1.9", macZero, "192.168.1.1")},
		{Port: "eth1", Note: "remote VM 192.168.1.20 answers the VM from the wire (VLAN 196): 196 -> local 1, NORMAL, learns the remote MAC",
			Frame: arp(196, macRemote, macVM, 2, macRemote, "192.168.1.20", macVM, "192.168.1.9")},
		{Port: "qvo-vm", Note: "VM -> remote VM on the same network: unicast out int-br-vlan, br-vlan local 1 -> VLAN 196 on eth1",
			Frame: udp(-1, macVM, macRemote, "192.168.1.9", "192.168.1.20", "A3 vm to remote vm")},
		{Port: "eth1", Note: "A2: routed frame from host B (src DVR_B) VLAN 196 to the VM: gateway MAC restored, VLAN stripped, straight to the VM",
			Frame: udp(196, macDVRB, macVM, "192.168.2.7", "192.168.1.9", "A2 dvr from host B")},
		{Port: "qvo-vm", Note: "spoofed ARP (arp_spa 192.168.1.99): table 24 drops it",
			Frame: arp(-1, macVM, macBcast, 1, macVM, "192.168.1.99", macZero, "192.168.1.1")},
		{Port: "qvo-vm", Note: "spoofed source MAC with the right IP: table 25 has no match, dropped",
			Frame: arp(-1, mac("fa:16:3e:66:66:66"), macBcast, 1, mac("fa:16:3e:66:66:66"), "192.168.1.9", macZero, "192.168.1.1")},
	})
}

// Example B: current master DVR flows, same ports as A.
func caseB() []Step {
	return seq([]Step{
		{Port: "eth1", Note: "B9: remote VM broadcasts ARP who-has 192.168.1.9 on VLAN 196: br-vlan NORMAL, br-int 196 -> 1, NORMAL floods VLAN 1 (VM, qr-)",
			Frame: arp(196, macRemote, macBcast, 1, macRemote, "192.168.1.20", macZero, "192.168.1.9")},
		{Port: "qvo-vm", Note: "B1: VM ARP who-has 192.168.1.1: reaches qr- and also leaves on eth1 VLAN 196 (the gateway-ARP drop sits in table 22, never reached)",
			Frame: arp(-1, macVM, macBcast, 1, macVM, "192.168.1.9", macZero, "192.168.1.1")},
		{Port: "qvo-vm", Note: "B1b: same ARP with arp_spa 192.168.1.99: dropped in table 24",
			Frame: arp(-1, macVM, macBcast, 1, macVM, "192.168.1.99", macZero, "192.168.1.1")},
		{Port: "qr-gw", Note: "B2: qr- routes to the remote VM (src gateway MAC): br-vlan table 1 src := DVR_A, VLAN 196, unicast to eth1",
			Frame: udp(-1, macGW, macRemote, "192.168.2.7", "192.168.1.20", "B2 routed to remote vm")},
		{Port: "eth1", Note: "B3: from host B (src DVR_B) VLAN 196 to the VM: src := gateway MAC, pop VLAN, output to the VM",
			Frame: udp(196, macDVRB, macVM, "192.168.2.7", "192.168.1.9", "B3 dvr from host B")},
		{Port: "eth1", Note: "B5: VLAN 196 IPv4 to DVR_A: br-int table 4 matches dl_vlan=1 only, miss, dropped",
			Frame: udp(196, macRemote, macDVRA, "192.168.1.20", "192.168.2.7", "B5 to dvr mac")},
		{Port: "eth1", Note: "B6: VLAN 196 ARP reply to DVR_A with tha = gateway: br-int p99 dst := gateway, NORMAL in VLAN 196 (trunks only)",
			Frame: arp(196, macRemote, macDVRA, 2, macRemote, "192.168.1.20", macGW, "192.168.1.1")},
		{Port: "fg-ext", Note: "B7: fg- sends to the external peer 10.100.0.14 (FIP SNATed): VLAN 2 -> 148 out eth1",
			Frame: udp(-1, macFG, macPeer, "10.100.0.7", "10.100.0.14", "B7 fip to peer")},
		{Port: "eth1", Note: "B8: VLAN 148 ARP who-has 10.100.0.7 from the peer: 148 -> local 2, NORMAL, untagged to fg-",
			Frame: arp(148, macPeer, macBcast, 1, macPeer, "10.100.0.14", macZero, "10.100.0.7")},
	})
}

// NORMAL on a standalone bridge: a10 (1, tag 10), b10 (2, tag 10), c20 (3,
// tag 20), d20 (4, tag 20), trunk (5, trunks 10,20), all (6, every VLAN),
// native (7, vlan_mode native-untagged, native VLAN 10, trunks 20).
// mac_aging_time 15 s.
func caseNormal() []Step {
	mA, mB, mC, mD := mac("02:00:00:00:00:0a"), mac("02:00:00:00:00:0b"), mac("02:00:00:00:00:0c"), mac("02:00:00:00:00:0d")
	mT, mX, mE, mN := mac("02:00:00:00:00:74"), mac("02:00:00:00:00:99"), mac("02:00:00:00:00:0e"), mac("02:00:00:00:00:07")
	s := time.Second
	return []Step{
		{At: 0, Port: "a10", Note: "broadcast from A in VLAN 10: b10 untagged, trunk and all tagged 10; not VLAN 20",
			Frame: arp(-1, mA, macBcast, 1, mA, "10.0.10.1", macZero, "10.0.10.2")},
		{At: 1 * ms, Port: "b10", Note: "B -> A (learned on a10): unicast to a10 only",
			Frame: udp(-1, mB, mA, "10.0.10.2", "10.0.10.1", "b to a")},
		{At: 2 * ms, Port: "c20", Note: "broadcast from C in VLAN 20: d20 untagged, trunk and all tagged 20",
			Frame: arp(-1, mC, macBcast, 1, mC, "10.0.20.3", macZero, "10.0.20.4")},
		{At: 3 * ms, Port: "trunk", Note: "tagged 20 from the trunk to C (learned): untagged to c20 only",
			Frame: udp(20, mT, mC, "10.0.20.9", "10.0.20.3", "trunk to c")},
		{At: 4 * ms, Port: "trunk", Note: "tagged 10 from the trunk to an unknown MAC: floods VLAN 10 (a10, b10 untagged; all tagged)",
			Frame: udp(10, mT, mX, "10.0.10.9", "10.0.10.99", "trunk to unknown")},
		{At: 5 * ms, Port: "b10", Note: "B -> C: C is learned in VLAN 20 only, so this floods VLAN 10",
			Frame: udp(-1, mB, mC, "10.0.10.2", "10.0.20.3", "b to c other vlan")},
		{At: 6 * ms, Port: "all", Note: "broadcast tagged 30 on the all-VLAN trunk: no other port carries VLAN 30",
			Frame: arp(30, mE, macBcast, 1, mE, "10.0.30.5", macZero, "10.0.30.6")},
		{At: 7 * ms, Port: "trunk", Note: "tagged 30 on a trunk limited to 10,20: dropped",
			Frame: udp(30, mT, macBcast, "10.0.30.9", "10.0.30.255", "trunk vlan 30")},
		{At: 8 * ms, Port: "a10", Note: "tagged 10 frame on an access port: dropped",
			Frame: udp(10, mA, macBcast, "10.0.10.1", "10.0.10.255", "tagged on access")},
		{At: 9 * ms, Port: "a10", Note: "priority-tagged (VID 0, PCP 3) frame on an access port: treated as VLAN 10",
			Frame: udpPCP(0, 3, mA, mD, "10.0.10.1", "10.0.10.4", "priority tagged")},
		{At: 10 * ms, Port: "all", Note: "untagged broadcast on the all-VLAN trunk: VLAN 0, nobody else carries it",
			Frame: arp(-1, mE, macBcast, 1, mE, "10.0.0.5", macZero, "10.0.0.6")},
		{At: 11 * ms, Port: "native", Note: "untagged broadcast on the native-untagged port: VLAN 10 (a10, b10 untagged; trunk, all tagged)",
			Frame: arp(-1, mN, macBcast, 1, mN, "10.0.10.7", macZero, "10.0.10.8")},
		{At: 12 * ms, Port: "native", Note: "tagged 20 on the native-untagged port to C: untagged to c20",
			Frame: udp(20, mN, mC, "10.0.20.7", "10.0.20.3", "native vlan 20 to c")},
		{At: 13 * ms, Port: "trunk", Note: "tagged 10 from the trunk to the native port's MAC: leaves native untagged",
			Frame: udp(10, mT, mN, "10.0.10.9", "10.0.10.7", "trunk to native")},
		{At: 14 * ms, Port: "c20", Note: "C -> the native port's MAC in VLAN 20: leaves native tagged 20",
			Frame: udp(-1, mC, mN, "10.0.20.3", "10.0.20.7", "c to native")},
		{At: 10 * s, Port: "b10", Note: "10 s later B -> A: A (learned at 0 s) has not aged out yet (aging 15 s): unicast to a10",
			Frame: udp(-1, mB, mA, "10.0.10.2", "10.0.10.1", "b to a at 10s")},
		{At: 40 * s, Port: "b10", Note: "40 s: A aged out, B -> A floods VLAN 10 again",
			Frame: udp(-1, mB, mA, "10.0.10.2", "10.0.10.1", "b to a at 40s")},
		{At: 40*s + ms, Port: "trunk", Note: "tagged 10 from the trunk to B (relearned at 40 s): unicast to b10",
			Frame: udp(10, mT, mB, "10.0.10.9", "10.0.10.2", "trunk to b")},
	}
}

// A resubmit loop: table 0 -> 1 -> 0 for in_port 1; in_port 2 goes to 3.
func caseLoop() []Step {
	m1, m2 := mac("02:00:00:00:01:01"), mac("02:00:00:00:01:02")
	return seq([]Step{
		{Port: "p1", Note: "loops table 0 <-> table 1: OVS stops at its resubmit limit and drops the frame",
			Frame: udp(-1, m1, m2, "10.1.0.1", "10.1.0.2", "looping")},
		{Port: "p2", Note: "non-looping frame: table 0 -> 2 -> output:3",
			Frame: udp(-1, m2, m1, "10.1.0.2", "10.1.0.1", "not looping")},
		{Port: "p1", Note: "loop that outputs to p3 on every pass before resubmitting: what OVS does with the outputs already taken when it hits the limit",
			Frame: udp(-1, m1, macBcast, "10.1.0.1", "10.1.0.255", "looping after output")},
	})
}

// tcpSeg builds an IPv4/TCP segment; flags is a subset of "SAFRP" (SYN,
// ACK, FIN, RST, PSH).
func tcpSeg(vlan int, src, dst net.HardwareAddr, sip string, sport uint16, dip string, dport uint16, flags string, seq, ack uint32, payload string) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ip(sip), DstIP: ip(dip)}
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: 29200}
	for _, f := range flags {
		switch f {
		case 'S':
			t.SYN = true
		case 'A':
			t.ACK = true
		case 'F':
			t.FIN = true
		case 'R':
			t.RST = true
		case 'P':
			t.PSH = true
		}
	}
	if err := t.SetNetworkLayerForChecksum(ip4); err != nil {
		panic(err)
	}
	return frame(vlan, 0, src, dst, layers.EthernetTypeIPv4, ip4, t, gopacket.Payload(payload))
}

// tcpWS is tcpSeg for a SYN or SYN-ACK carrying a window scale option
// (and MSS), as Linux sends them.
func tcpWS(src, dst net.HardwareAddr, sip string, sport uint16, dip string, dport uint16, flags string, seq, ack uint32, win uint16, wscale uint8) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ip(sip), DstIP: ip(dip)}
	t := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack, Window: win,
		SYN: true, ACK: flags == "SA", Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{wscale}},
		}}
	if err := t.SetNetworkLayerForChecksum(ip4); err != nil {
		panic(err)
	}
	return frame(-1, 0, src, dst, layers.EthernetTypeIPv4, ip4, t)
}

// tcpWin is tcpSeg with an explicit window.
func tcpWin(src, dst net.HardwareAddr, sip string, sport uint16, dip string, dport uint16, flags string, seq, ack uint32, win uint16, payload string) []byte {
	f := tcpSeg(-1, src, dst, sip, sport, dip, dport, flags, seq, ack, payload)
	p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	ip4 := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	t := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
	t.Window = win
	if err := t.SetNetworkLayerForChecksum(ip4); err != nil {
		panic(err)
	}
	return frame(-1, 0, src, dst, layers.EthernetTypeIPv4, ip4, t, gopacket.Payload(t.Payload))
}

// ipFrag sets the IPv4 flags/fragment-offset field of an untagged frame
// and fixes the header checksum.
func ipFrag(f []byte, flagsOff uint16) []byte {
	f = append([]byte(nil), f...)
	h := f[14:34]
	h[6], h[7] = byte(flagsOff>>8), byte(flagsOff)
	h[10], h[11] = 0, 0
	var s uint32
	for i := 0; i < 20; i += 2 {
		s += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	h[10], h[11] = byte(^s>>8), byte(^s)
	return f
}

// udpPorts is udp with explicit ports.
func udpPorts(vlan int, src, dst net.HardwareAddr, sip string, sport uint16, dip string, dport uint16, payload string) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ip(sip), DstIP: ip(dip)}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := u.SetNetworkLayerForChecksum(ip4); err != nil {
		panic(err)
	}
	return frame(vlan, 0, src, dst, layers.EthernetTypeIPv4, ip4, u, gopacket.Payload(payload))
}

// icmpErr builds an ICMP error (type/code) from sip to dip quoting the IP
// header and first 8 payload bytes of the Ethernet frame orig.
func icmpErr(vlan int, src, dst net.HardwareAddr, sip, dip string, typ, code uint8, orig []byte) []byte {
	inner := orig[14:]
	if len(inner) > 28 {
		inner = inner[:28]
	}
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ip(sip), DstIP: ip(dip)}
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code)}
	return frame(vlan, 0, src, dst, layers.EthernetTypeIPv4, ip4, ic, gopacket.Payload(inner))
}

// icmpEcho builds an ICMP echo request (typ 8) or reply (0).
func icmpEcho(vlan int, src, dst net.HardwareAddr, sip, dip string, typ uint8, id, seq uint16) []byte {
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ip(sip), DstIP: ip(dip)}
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq}
	return frame(vlan, 0, src, dst, layers.EthernetTypeIPv4, ip4, ic, gopacket.Payload("ping"))
}

// Example D: one VM behind Neutron's openvswitch firewall driver (default
// security group: egress any, ingress from group members 192.168.1.9 and
// 192.168.1.20). br-int: int-br-vlan 1, qvo-vm 5 (tag 1), qr-gw 6 (tag 1,
// trusted); br-vlan: phy-br-vlan 1, eth1 2 (the wire, VLAN 196 = local 1).
func caseD() []Step {
	const vm, remote, outsider = "192.168.1.9", "192.168.1.20", "192.168.1.21"
	macOutsider := mac("fa:16:3e:22:22:21")
	udpOut := udpPorts(-1, macVM, macRemote, vm, 40001, remote, 53, "D query")
	return seq([]Step{
		{Port: "eth1", Note: "remote VM 192.168.1.20 broadcasts ARP who-has 192.168.1.9 (VLAN 196): table 60 NORMAL, unfiltered (D-F9); learns its MAC",
			Frame: arp(196, macRemote, macBcast, 1, macRemote, remote, macZero, vm)},
		{Port: "qvo-vm", Note: "VM ARP reply (table 71 ARP anti-spoofing passes it): NORMAL to the wire; learns the VM's MAC",
			Frame: arp(-1, macVM, macRemote, 2, macVM, vm, macRemote, remote)},
		{Port: "qvo-vm", Note: "D-F1: VM TCP SYN to 192.168.1.20:22: 71 ct -> 72 +new -> 73 commit -> 91 -> 94 NORMAL, out eth1 VLAN 196",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 40000, remote, 22, "S", 1000, 0, "")},
		{Port: "eth1", Note: "D-F4: SYN-ACK reply: 81 ct -> 82 +est+rpl (ct_zone 1, mark 0) -> output:5",
			Frame: tcpSeg(196, macRemote, macVM, remote, 22, vm, 40000, "SA", 5000, 1001, "")},
		{Port: "qvo-vm", Note: "VM ACK: +est-rel-rpl -> 72 p74 -> 73 p80 -> 94 NORMAL",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 40000, remote, 22, "A", 1001, 5001, "")},
		{Port: "qvo-vm", Note: "VM data: established, out eth1",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 40000, remote, 22, "PA", 1001, 5001, "hello ssh\n")},
		{Port: "eth1", Note: "reply data: +est+rpl, delivered to the VM",
			Frame: tcpSeg(196, macRemote, macVM, remote, 22, vm, 40000, "PA", 5001, 1011, "SSH-2.0\n")},
		{Port: "qvo-vm", Note: "VM FIN: established, out eth1",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 40000, remote, 22, "FA", 1011, 5009, "")},
		{Port: "eth1", Note: "reply FIN-ACK: +est+rpl, delivered",
			Frame: tcpSeg(196, macRemote, macVM, remote, 22, vm, 40000, "FA", 5009, 1012, "")},
		{Port: "qvo-vm", Note: "VM last ACK: out eth1",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 40000, remote, 22, "A", 1012, 5010, "")},
		{Port: "eth1", Note: "D-F2: unsolicited SYN from 192.168.1.21 (not in the group): 81 ct -> 82 p40 -est -> 93, dropped",
			Frame: tcpSeg(196, macOutsider, macVM, outsider, 50000, vm, 22, "S", 7000, 0, "")},
		{Port: "eth1", Note: "D-F3: SYN from group member 192.168.1.20: 82 conj_id=17 -> reg7:=17, commit, output:5",
			Frame: tcpSeg(196, macRemote, macVM, remote, 50001, vm, 22, "S", 9000, 0, "")},
		{Port: "qvo-vm", Note: "VM SYN-ACK to the admitted connection: 72 p50 +est-rel+rpl -> 94 NORMAL, out eth1",
			Frame: tcpSeg(-1, macVM, macRemote, vm, 22, remote, 50001, "SA", 3000, 9001, "")},
		{Port: "eth1", Note: "member's ACK: +est-rel-rpl, conj_id=16 -> output:5",
			Frame: tcpSeg(196, macRemote, macVM, remote, 50001, vm, 22, "A", 9001, 3001, "")},
		{Port: "eth1", Note: "out-of-window segment on that connection (seq far beyond the window): +inv, 82 p50 -> 93, dropped",
			Frame: tcpSeg(196, macRemote, macVM, remote, 50001, vm, 22, "PA", 9001+0x40000000, 3001, "bogus")},
		{Port: "eth1", Note: "in-window data on the same connection after the invalid one: still established, delivered",
			Frame: tcpSeg(196, macRemote, macVM, remote, 50001, vm, 22, "PA", 9001, 3001, "ok")},
		{Port: "qvo-vm", Note: "VM UDP 40001 -> 192.168.1.20:53: new, committed in 73, out eth1",
			Frame: udpOut},
		{Port: "eth1", Note: "ICMP port unreachable from 192.168.1.20 quoting that datagram: +rel, 82 p50 -new-est+rel-inv -> output:5",
			Frame: icmpErr(196, macRemote, macVM, remote, vm, 3, 3, udpOut)},
		{Port: "eth1", Note: "ICMP port unreachable quoting a datagram the VM never sent: no connection to relate it to",
			Frame: icmpErr(196, macRemote, macVM, remote, vm, 3, 3, udpPorts(-1, macVM, macRemote, vm, 40999, remote, 53, "D other"))},
		{Port: "qvo-vm", Note: "VM ping 192.168.1.20: new, committed, out eth1",
			Frame: icmpEcho(-1, macVM, macRemote, vm, remote, 8, 0x77, 1)},
		{Port: "eth1", Note: "echo reply: +est+rpl, delivered",
			Frame: icmpEcho(196, macRemote, macVM, remote, vm, 0, 0x77, 1)},
		{Port: "qvo-vm", Note: "D-F6: VM UDP with forged source 192.168.1.99: 71 p10 ct_clear -> 93, dropped",
			Frame: udpPorts(-1, macVM, macRemote, "192.168.1.99", 40002, remote, 53, "D forged")},
		{Port: "qvo-vm", Note: "D-F7: DHCP discover from 0.0.0.0:68 to 255.255.255.255:67: 71 p80 -> 73 p80 -> 94 NORMAL, floods VLAN 1",
			Frame: udpPorts(-1, macVM, macBcast, "0.0.0.0", 68, "255.255.255.255", 67, "D dhcp discover")},
		{Port: "qr-gw", Note: "D-F5: trusted qr- -> VM, new TCP: 60 -> 73 p100 -> 81 ct -> 82 p40 -est -> 93, dropped (192.168.1.1 is not a member)",
			Frame: tcpSeg(-1, macGW, macVM, "192.168.1.1", 33000, vm, 22, "S", 100, 0, "")},
	})
}

// ip6 is an IPv6 header for the ct-states case.
func ip6(sip, dip string, next layers.IPProtocol) *layers.IPv6 {
	return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(sip), DstIP: net.ParseIP(dip)}
}

// caseCTStates probes Open vSwitch's conntrack decisions (br0.flows of the
// case writes ct_state and ct_mark into eth_src): p1 = A 10.0.0.1 / 2001:db8::1
// inside (commits), p2 = B 10.0.0.2 / 2001:db8::2 outside (no commit).
func caseCTStates() []Step {
	mA, mB := mac("02:00:00:00:0a:01"), mac("02:00:00:00:0b:02")
	const A, B, A6, B6 = "10.0.0.1", "10.0.0.2", "2001:db8::1", "2001:db8::2"
	u1 := udpPorts(-1, mA, mB, A, 1000, B, 53, "u1")
	u1r := udpPorts(-1, mB, mA, B, 53, A, 1000, "u1 reply")
	badsum := tcpSeg(-1, mA, mB, A, 2010, B, 90, "S", 1, 0, "")
	badsum[14+20+16] ^= 0xff // corrupt the TCP checksum
	gre := func(src, dst net.HardwareAddr, sip, dip string) []byte {
		return frame(-1, 0, src, dst, layers.EthernetTypeIPv4,
			&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: ip(sip), DstIP: ip(dip)}, gopacket.Payload("\x00\x00\x08\x00gre payload"))
	}
	udp6 := func(src, dst net.HardwareAddr, sip string, sport uint16, dip string, dport uint16, pl string) []byte {
		h := ip6(sip, dip, layers.IPProtocolUDP)
		u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
		if err := u.SetNetworkLayerForChecksum(h); err != nil {
			panic(err)
		}
		return frame(-1, 0, src, dst, layers.EthernetTypeIPv6, h, u, gopacket.Payload(pl))
	}
	echo6 := func(src, dst net.HardwareAddr, sip, dip string, typ uint8, id uint16) []byte {
		h := ip6(sip, dip, layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}
		if err := ic.SetNetworkLayerForChecksum(h); err != nil {
			panic(err)
		}
		return frame(-1, 0, src, dst, layers.EthernetTypeIPv6, h, ic, &layers.ICMPv6Echo{Identifier: id, SeqNumber: 1}, gopacket.Payload("ping6"))
	}
	u6 := udp6(mA, mB, A6, 1000, B6, 53, "u6")
	err6 := func() []byte {
		h := ip6(B6, A6, layers.IPProtocolICMPv6)
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 4)}
		if err := ic.SetNetworkLayerForChecksum(h); err != nil {
			panic(err)
		}
		return frame(-1, 0, mB, mA, layers.EthernetTypeIPv6, h, ic, gopacket.Payload(append([]byte{0, 0, 0, 0}, u6[14:14+48]...)))
	}()
	return seq([]Step{
		{Port: "p1", Note: "UDP A:1000 -> B:53, first: new, committed (mark 5)", Frame: u1},
		{Port: "p1", Note: "UDP same again before any reply", Frame: u1},
		{Port: "p1", Note: "UDP same a third time before any reply", Frame: u1},
		{Port: "p2", Note: "UDP reply B:53 -> A:1000", Frame: u1r},
		{Port: "p1", Note: "UDP A -> B after the reply", Frame: u1},
		{Port: "p2", Note: "UDP B:54 -> A:1000: no entry, not committed", Frame: udpPorts(-1, mB, mA, B, 54, A, 1000, "u2")},
		{Port: "p2", Note: "UDP B:54 -> A:1000 again: still no entry (only commit creates)", Frame: udpPorts(-1, mB, mA, B, 54, A, 1000, "u2")},
		{Port: "p1", Note: "TCP SYN A:2000 -> B:80, committed", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "S", 100, 0, "")},
		{Port: "p1", Note: "TCP SYN retransmitted", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "S", 100, 0, "")},
		{Port: "p2", Note: "TCP SYN-ACK", Frame: tcpSeg(-1, mB, mA, B, 80, A, 2000, "SA", 700, 101, "")},
		{Port: "p1", Note: "TCP ACK", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "A", 101, 701, "")},
		{Port: "p1", Note: "TCP data far beyond the window", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "PA", 101+0x40000000, 701, "far")},
		{Port: "p1", Note: "TCP data in the window", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "PA", 101, 701, "near")},
		{Port: "p2", Note: "TCP data from B acking far beyond what A sent", Frame: tcpSeg(-1, mB, mA, B, 80, A, 2000, "PA", 701, 101+0x20000000, "badack")},
		{Port: "p2", Note: "TCP RST from B", Frame: tcpSeg(-1, mB, mA, B, 80, A, 2000, "RA", 701, 105, "")},
		{Port: "p1", Note: "TCP ACK from A after the RST", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "A", 105, 701, "")},
		{Port: "p1", Note: "TCP new SYN on the same ports after the RST", Frame: tcpSeg(-1, mA, mB, A, 2000, B, 80, "S", 5000, 0, "")},
		{Port: "p2", Note: "TCP SYN-ACK to the new SYN", Frame: tcpSeg(-1, mB, mA, B, 80, A, 2000, "SA", 9000, 5001, "")},
		{Port: "p1", Note: "TCP SYN-ACK without a connection", Frame: tcpSeg(-1, mA, mB, A, 2001, B, 81, "SA", 1, 1, "")},
		{Port: "p1", Note: "TCP ACK without a connection (mid-stream pickup), committed", Frame: tcpSeg(-1, mA, mB, A, 2002, B, 82, "A", 1000, 2000, "")},
		{Port: "p2", Note: "TCP ACK answering the picked-up connection", Frame: tcpSeg(-1, mB, mA, B, 82, A, 2002, "A", 2000, 1000, "")},
		{Port: "p1", Note: "TCP RST without a connection", Frame: tcpSeg(-1, mA, mB, A, 2003, B, 83, "R", 1, 0, "")},
		{Port: "p1", Note: "TCP SYN+FIN", Frame: tcpSeg(-1, mA, mB, A, 2004, B, 84, "SF", 1, 0, "")},
		{Port: "p1", Note: "TCP SYN with a bad checksum", Frame: badsum},
		{Port: "p1", Note: "TCP FIN without ACK", Frame: tcpSeg(-1, mA, mB, A, 2005, B, 85, "F", 1, 0, "")},
		{Port: "p1", Note: "ICMP echo request id 9, committed", Frame: icmpEcho(-1, mA, mB, A, B, 8, 9, 1)},
		{Port: "p1", Note: "ICMP echo request id 9 again", Frame: icmpEcho(-1, mA, mB, A, B, 8, 9, 2)},
		{Port: "p2", Note: "ICMP echo reply id 9", Frame: icmpEcho(-1, mB, mA, B, A, 0, 9, 1)},
		{Port: "p2", Note: "ICMP echo reply id 10 (no request)", Frame: icmpEcho(-1, mB, mA, B, A, 0, 10, 1)},
		{Port: "p2", Note: "ICMP port unreachable B -> A quoting A's UDP datagram", Frame: icmpErr(-1, mB, mA, B, A, 3, 3, u1)},
		{Port: "p1", Note: "ICMP port unreachable A -> B quoting B's UDP reply", Frame: icmpErr(-1, mA, mB, A, B, 3, 3, u1r)},
		{Port: "p2", Note: "ICMP time exceeded from a router 10.0.0.254 quoting A's UDP datagram", Frame: icmpErr(-1, mB, mA, "10.0.0.254", A, 11, 0, u1)},
		{Port: "p1", Note: "GRE A -> B (other protocol, by address pair), committed", Frame: gre(mA, mB, A, B)},
		{Port: "p2", Note: "GRE B -> A", Frame: gre(mB, mA, B, A)},
		{Port: "p1", Note: "IPv6 UDP A:1000 -> B:53, committed (mark 6)", Frame: u6},
		{Port: "p2", Note: "IPv6 UDP reply", Frame: udp6(mB, mA, B6, 53, A6, 1000, "u6 reply")},
		{Port: "p1", Note: "ICMPv6 echo request, committed", Frame: echo6(mA, mB, A6, B6, 128, 33)},
		{Port: "p2", Note: "ICMPv6 echo reply", Frame: echo6(mB, mA, B6, A6, 129, 33)},
		{Port: "p2", Note: "ICMPv6 destination unreachable quoting A's IPv6 datagram", Frame: err6},
		{Port: "p1", Note: "window scaling: SYN A:4000 -> B:443 with wscale 7", Frame: tcpWS(mA, mB, A, 4000, B, 443, "S", 1, 0, 64240, 7)},
		{Port: "p2", Note: "window scaling: SYN-ACK with wscale 7", Frame: tcpWS(mB, mA, B, 443, A, 4000, "SA", 50000, 2, 65160, 7)},
		{Port: "p1", Note: "window scaling: ACK, window 1000 (x128 = 128000)", Frame: tcpWin(mA, mB, A, 4000, B, 443, "A", 2, 50001, 1000, "")},
		{Port: "p2", Note: "window scaling: B's data 100000 bytes ahead, inside the scaled window", Frame: tcpWin(mB, mA, B, 443, A, 4000, "PA", 150001, 2, 500, "ahead")},
		{Port: "p2", Note: "window scaling: B's data 200000 bytes ahead, beyond the scaled window", Frame: tcpWin(mB, mA, B, 443, A, 4000, "PA", 250001, 2, 500, "too far")},
		{Port: "p1", Note: "no scaling (only the SYN offers it): SYN A:4001 -> B:443 with wscale 7", Frame: tcpWS(mA, mB, A, 4001, B, 443, "S", 1, 0, 64240, 7)},
		{Port: "p2", Note: "no scaling: SYN-ACK without options", Frame: tcpWin(mB, mA, B, 443, A, 4001, "SA", 50000, 2, 65160, "")},
		{Port: "p1", Note: "no scaling: ACK, window 1000", Frame: tcpWin(mA, mB, A, 4001, B, 443, "A", 2, 50001, 1000, "")},
		{Port: "p2", Note: "no scaling: B's data 100000 bytes ahead, beyond the unscaled window", Frame: tcpWin(mB, mA, B, 443, A, 4001, "PA", 150001, 2, 500, "ahead")},
		{Port: "p2", Note: "no scaling: B's data 500 bytes ahead, inside the window", Frame: tcpWin(mB, mA, B, 443, A, 4001, "PA", 50501, 2, 500, "near")},
		// OVS 3.1 reassembles IPv4 fragments before conntrack (ipf); a non-last
		// fragment under its minimum size (1200 bytes) is not a valid
		// fragment and goes through as +inv. (A valid last fragment is held
		// for reassembly, which gvs does not do: not probed here.)
		{Port: "p1", Note: "IPv4 first fragment of 60 bytes (MF set, under ipf's minimum size): +inv", Frame: ipFrag(udpPorts(-1, mA, mB, A, 5000, B, 53, "fragment one"), 0x2000)},
		{Port: "p1", Note: "TCP SYN A:3000 -> B:7777, committed", Frame: tcpSeg(-1, mA, mB, A, 3000, B, 7777, "S", 10, 0, "")},
		{Port: "p2", Note: "TCP ACK B:7777 -> A:3000 (reply direction) through ct(commit,force): the entry is replaced by one B originates", Frame: tcpSeg(-1, mB, mA, B, 7777, A, 3000, "A", 50, 11, "")},
		{Port: "p2", Note: "TCP ACK B:7777 -> A:3000 again: now the original direction", Frame: tcpSeg(-1, mB, mA, B, 7777, A, 3000, "A", 50, 11, "")},
		{Port: "p1", Note: "TCP ACK A:3000 -> B:7777: now the reply direction", Frame: tcpSeg(-1, mA, mB, A, 3000, B, 7777, "A", 11, 50, "")},
	})
}

// caseCTExpiry probes Open vSwitch's timeouts with the ct-states flows:
// connections are set up at t < 100 ms, then probed just before and just
// after each timeout (a live entry shows ct_mark 5 in eth_src, a forgotten
// one mark 0). Every probe uses its own connection, since a probe also
// refreshes the entry it finds.
func caseCTExpiry() []Step {
	mA, mB := mac("02:00:00:00:0a:01"), mac("02:00:00:00:0b:02")
	const A, B = "10.0.0.1", "10.0.0.2"
	s := time.Second
	var setup, probes []Step
	at := time.Duration(0)
	add := func(port, note string, f []byte) {
		setup = append(setup, Step{At: at, Port: port, Note: note, Frame: f})
		at += ms
	}
	out := func(sp uint16, flags string, seq, ack uint32) []byte {
		return tcpSeg(-1, mA, mB, A, sp, B, 80, flags, seq, ack, "")
	}
	in := func(sp uint16, flags string, seq, ack uint32) []byte {
		return tcpSeg(-1, mB, mA, B, 80, A, sp, flags, seq, ack, "")
	}
	probe := func(t time.Duration, port, note string, f []byte) {
		probes = append(probes, Step{At: t, Port: port, Note: note, Frame: f})
	}
	// UDP: 60 s before a reply, 30 s after.
	for _, sp := range []uint16{1, 2} {
		add("p1", fmt.Sprintf("udp %d: committed, never answered", sp), udpPorts(-1, mA, mB, A, sp, B, 9, "u"))
	}
	for _, sp := range []uint16{3, 4} {
		add("p1", fmt.Sprintf("udp %d: committed", sp), udpPorts(-1, mA, mB, A, sp, B, 9, "u"))
		add("p2", fmt.Sprintf("udp %d: answered", sp), udpPorts(-1, mB, mA, B, 9, A, sp, "u"))
	}
	probe(59*s+900*ms, "p1", "udp 1 at 59.9 s: still there", udpPorts(-1, mA, mB, A, 1, B, 9, "u"))
	probe(60*s+100*ms, "p1", "udp 2 at 60.1 s: forgotten", udpPorts(-1, mA, mB, A, 2, B, 9, "u"))
	probe(29*s+900*ms, "p2", "udp 3 (answered) at 29.9 s: still there", udpPorts(-1, mB, mA, B, 9, A, 3, "u"))
	probe(30*s+100*ms, "p2", "udp 4 (answered) at 30.1 s: forgotten", udpPorts(-1, mB, mA, B, 9, A, 4, "u"))
	// TCP SYN only: 30 s.
	for _, sp := range []uint16{10, 11} {
		add("p1", fmt.Sprintf("tcp %d: SYN, never answered", sp), out(sp, "S", 100, 0))
	}
	probe(29*s+900*ms, "p1", "tcp 10 SYN retransmitted at 29.9 s: still there", out(10, "S", 100, 0))
	probe(30*s+100*ms, "p1", "tcp 11 SYN retransmitted at 30.1 s: forgotten", out(11, "S", 100, 0))
	// Established: 24 h.
	add("p1", "tcp 12: SYN", out(12, "S", 100, 0))
	add("p2", "tcp 12: SYN-ACK", in(12, "SA", 500, 101))
	add("p1", "tcp 12: ACK", out(12, "A", 101, 501))
	probe(3600*s, "p1", "tcp 12 (established) after an hour: still there", out(12, "A", 101, 501))
	// Fully closed (both FINs acknowledged): 30 s.
	for _, sp := range []uint16{13, 14} {
		add("p1", fmt.Sprintf("tcp %d: SYN", sp), out(sp, "S", 100, 0))
		add("p2", fmt.Sprintf("tcp %d: SYN-ACK", sp), in(sp, "SA", 500, 101))
		add("p1", fmt.Sprintf("tcp %d: ACK", sp), out(sp, "A", 101, 501))
		add("p1", fmt.Sprintf("tcp %d: FIN", sp), out(sp, "FA", 101, 501))
		add("p2", fmt.Sprintf("tcp %d: FIN-ACK", sp), in(sp, "FA", 501, 102))
		add("p1", fmt.Sprintf("tcp %d: last ACK", sp), out(sp, "A", 102, 502))
	}
	probe(29*s+900*ms, "p1", "tcp 13 (closed) at 29.9 s: still there", out(13, "A", 102, 502))
	probe(30*s+100*ms, "p1", "tcp 14 (closed) at 30.1 s: forgotten", out(14, "A", 102, 502))
	// Half closed (A's FIN acknowledged, B still open): 15 min.
	for _, sp := range []uint16{15, 16} {
		add("p1", fmt.Sprintf("tcp %d: SYN", sp), out(sp, "S", 100, 0))
		add("p2", fmt.Sprintf("tcp %d: SYN-ACK", sp), in(sp, "SA", 500, 101))
		add("p1", fmt.Sprintf("tcp %d: ACK", sp), out(sp, "A", 101, 501))
		add("p1", fmt.Sprintf("tcp %d: FIN", sp), out(sp, "FA", 101, 501))
		add("p2", fmt.Sprintf("tcp %d: ACK of the FIN", sp), in(sp, "A", 501, 102))
	}
	probe(14*time.Minute+59*s, "p2", "tcp 15 (half closed) at 14:59: still there", in(15, "A", 501, 102))
	probe(15*time.Minute+1*s, "p2", "tcp 16 (half closed) at 15:01: forgotten", in(16, "A", 501, 102))
	// Both FINs sent, the last one not acknowledged: 45 s.
	for _, sp := range []uint16{17, 18} {
		add("p1", fmt.Sprintf("tcp %d: SYN", sp), out(sp, "S", 100, 0))
		add("p2", fmt.Sprintf("tcp %d: SYN-ACK", sp), in(sp, "SA", 500, 101))
		add("p1", fmt.Sprintf("tcp %d: ACK", sp), out(sp, "A", 101, 501))
		add("p1", fmt.Sprintf("tcp %d: FIN", sp), out(sp, "FA", 101, 501))
		add("p2", fmt.Sprintf("tcp %d: FIN-ACK", sp), in(sp, "FA", 501, 102))
	}
	probe(44*s+900*ms, "p2", "tcp 17 (both FINs, last unacknowledged) at 44.9 s: still there", in(17, "A", 502, 102))
	probe(45*s+100*ms, "p2", "tcp 18 (both FINs, last unacknowledged) at 45.1 s: forgotten", in(18, "A", 502, 102))
	// Reset: 30 s.
	for _, sp := range []uint16{19, 20} {
		add("p1", fmt.Sprintf("tcp %d: SYN", sp), out(sp, "S", 100, 0))
		add("p2", fmt.Sprintf("tcp %d: RST-ACK", sp), in(sp, "RA", 0, 101))
	}
	probe(29*s+900*ms, "p1", "tcp 19 (reset) at 29.9 s: still there", out(19, "A", 101, 1))
	probe(30*s+100*ms, "p1", "tcp 20 (reset) at 30.1 s: forgotten", out(20, "A", 101, 1))
	// ICMP echo: 60 s unanswered, 30 s answered.
	add("p1", "ping id 1, never answered", icmpEcho(-1, mA, mB, A, B, 8, 1, 1))
	add("p1", "ping id 2, never answered", icmpEcho(-1, mA, mB, A, B, 8, 2, 1))
	for _, id := range []uint16{3, 4} {
		add("p1", fmt.Sprintf("ping id %d", id), icmpEcho(-1, mA, mB, A, B, 8, id, 1))
		add("p2", fmt.Sprintf("pong id %d", id), icmpEcho(-1, mB, mA, B, A, 0, id, 1))
	}
	probe(59*s+900*ms, "p1", "ping id 1 again at 59.9 s: still there", icmpEcho(-1, mA, mB, A, B, 8, 1, 2))
	probe(60*s+100*ms, "p1", "ping id 2 again at 60.1 s: forgotten", icmpEcho(-1, mA, mB, A, B, 8, 2, 2))
	probe(29*s+900*ms, "p2", "pong id 3 again at 29.9 s: still there", icmpEcho(-1, mB, mA, B, A, 0, 3, 1))
	probe(30*s+100*ms, "p2", "pong id 4 again at 30.1 s: forgotten (+inv: a reply cannot start one)", icmpEcho(-1, mB, mA, B, A, 0, 4, 1))
	sort.SliceStable(probes, func(i, j int) bool { return probes[i].At < probes[j].At })
	return append(setup, probes...)
}

// WriteInputs writes the steps of a case as one <port>-in.pcap per port
// that receives frames, removing stale input files of other ports.
func WriteInputs(dir string, c *Config, steps []Step) error {
	byPort := map[string][]Packet{}
	for _, s := range steps {
		p := c.portByName(s.Port)
		if p == nil || p.Type != "pcap" {
			return fmt.Errorf("step %q: no pcap port %s", s.Note, s.Port)
		}
		if p.Options["rx"] != InputName(s.Port) {
			return fmt.Errorf("port %s: options.rx must be %s", s.Port, InputName(s.Port))
		}
		byPort[s.Port] = append(byPort[s.Port], Packet{Time: Epoch.Add(s.At), Data: s.Frame})
	}
	for _, p := range c.PcapPorts() {
		path := filepath.Join(dir, InputName(p.Name))
		if ps, ok := byPort[p.Name]; ok {
			if err := WritePcap(path, ps); err != nil {
				return err
			}
		} else if p.Options["rx"] != "" {
			return fmt.Errorf("port %s has options.rx but no input frames", p.Name)
		} else if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func (c *Config) portByName(name string) *Port {
	for i := range c.Bridges {
		for j := range c.Bridges[i].Ports {
			if c.Bridges[i].Ports[j].Name == name {
				return &c.Bridges[i].Ports[j]
			}
		}
	}
	return nil
}
