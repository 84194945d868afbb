package datapath

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func udpFrame(t testing.TB, vlan int) []byte {
	return frame(t, macVM, macB, vlan, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1000, 2000)...)...)
}

// checksumsValid re-verifies IPv4 and UDP/TCP checksums with gopacket.
func checksumsValid(t *testing.T, f []byte) {
	t.Helper()
	p := decode(f)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if ip == nil {
		t.Fatalf("no IPv4 in %x", f)
	}
	want := ip.Checksum
	ip.Checksum = 0
	buf := gopacket.NewSerializeBuffer()
	ip2 := *ip
	if err := ip2.SerializeTo(buf, gopacket.SerializeOptions{ComputeChecksums: true}); err != nil {
		t.Fatal(err)
	}
	if ip2.Checksum != want {
		t.Errorf("IPv4 checksum %#04x, want %#04x", want, ip2.Checksum)
	}
	if u, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP); u != nil {
		got := u.Checksum
		u2 := *u
		u2.SetNetworkLayerForChecksum(&ip2)
		b := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(b, gopacket.SerializeOptions{ComputeChecksums: true}, &u2, gopacket.Payload(u.Payload)); err != nil {
			t.Fatal(err)
		}
		if u2.Checksum != got {
			t.Errorf("UDP checksum %#04x, want %#04x", got, u2.Checksum)
		}
	}
}

func TestActionsRewriteInPlace(t *testing.T) {
	tests := []struct {
		name, flows string
		in          []byte
		check       func(t *testing.T, out []byte)
	}{
		{"mod_vlan_vid pushes a tag", "in_port=1,actions=mod_vlan_vid:196,output:2", nil, func(t *testing.T, out []byte) {
			d, _ := decode(out).Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
			if d == nil || d.VLANIdentifier != 196 {
				t.Fatalf("want VLAN 196, got %v", d)
			}
			checksumsValid(t, out)
		}},
		{"strip_vlan on untagged does nothing", "in_port=1,actions=strip_vlan,output:2", nil, func(t *testing.T, out []byte) {
			if decode(out).Layer(layers.LayerTypeDot1Q) != nil {
				t.Fatal("unexpected tag")
			}
		}},
		{"push_vlan then set_field", "in_port=1,actions=push_vlan:0x8100,set_field:4098->vlan_vid,output:2", nil, func(t *testing.T, out []byte) {
			d, _ := decode(out).Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
			if d == nil || d.VLANIdentifier != 2 {
				t.Fatalf("want VLAN 2, got %v", d)
			}
		}},
		{"mod_dl_src and dst", "in_port=1,actions=mod_dl_src:fa:16:3f:00:00:0a,mod_dl_dst:fa:16:3e:aa:01:01,output:2", nil, func(t *testing.T, out []byte) {
			e := decode(out).Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if e.SrcMAC.String() != "fa:16:3f:00:00:0a" || e.DstMAC.String() != "fa:16:3e:aa:01:01" {
				t.Fatalf("got %s -> %s", e.SrcMAC, e.DstMAC)
			}
		}},
		{"mod_nw_src keeps checksums right", "ip,in_port=1,actions=mod_nw_src:10.100.0.7,mod_nw_ttl:9,mod_tp_dst:53,output:2", nil, func(t *testing.T, out []byte) {
			ip := decode(out).Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			if !ip.SrcIP.Equal(net.IP{10, 100, 0, 7}) || ip.TTL != 9 {
				t.Fatalf("got src %s ttl %d", ip.SrcIP, ip.TTL)
			}
			if u := decode(out).Layer(layers.LayerTypeUDP).(*layers.UDP); u.DstPort != 53 {
				t.Fatalf("dst port %d", u.DstPort)
			}
			checksumsValid(t, out)
		}},
		{"strip then retag via load on vlan_tci", "in_port=1,dl_vlan=5,actions=load:0->NXM_OF_VLAN_TCI[],output:2", nil, func(t *testing.T, out []byte) {
			if decode(out).Layer(layers.LayerTypeDot1Q) != nil {
				t.Fatal("tag not removed")
			}
			checksumsValid(t, out)
		}},
		{"dec_ttl", "ip,in_port=1,actions=dec_ttl,output:2", nil, func(t *testing.T, out []byte) {
			if ip := decode(out).Layer(layers.LayerTypeIPv4).(*layers.IPv4); ip.TTL != 63 {
				t.Fatalf("ttl %d", ip.TTL)
			}
			checksumsValid(t, out)
		}},
		{"move between fields", "in_port=1,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],output:2", nil, func(t *testing.T, out []byte) {
			e := decode(out).Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
			if !bytes.Equal(e.DstMAC, macVM) {
				t.Fatalf("dst %s", e.DstMAC)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSwitch(t)
			s.bridge("br0", FailSecure)
			s.port("br0", "p1:1")
			s.port("br0", "p2:2")
			s.flows("br0", tc.flows)
			in := tc.in
			if in == nil {
				in = udpFrame(t, -1)
				if bytes.Contains([]byte(tc.flows), []byte("dl_vlan=5")) {
					in = udpFrame(t, 5)
				}
			}
			s.send("p1", in)
			out := s.got()["p2"]
			if len(out) != 1 {
				t.Fatalf("p2 got %d frames, want 1", len(out))
			}
			tc.check(t, out[0])
		})
	}
}

// TestResubmitReturns checks OVS's resubmit semantics: the resubmitted
// table's actions run, then the rest of the original list, with the
// modifications made meanwhile.
func TestResubmitReturns(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.port("br0", "p3:3")
	s.flows("br0", `table=0,in_port=1,actions=resubmit(,1),output:3
table=1,actions=output:2,mod_dl_src:fa:16:3f:00:00:0a`)
	s.send("p1", udpFrame(t, -1))
	got := s.got()
	if len(got["p2"]) != 1 || len(got["p3"]) != 1 {
		t.Fatalf("want one frame on p2 and p3, got %v", got)
	}
	if e := decode(got["p2"][0]).Layer(layers.LayerTypeEthernet).(*layers.Ethernet); !bytes.Equal(e.SrcMAC, macVM) {
		t.Errorf("p2 got src %s, want the original", e.SrcMAC)
	}
	if e := decode(got["p3"][0]).Layer(layers.LayerTypeEthernet).(*layers.Ethernet); e.SrcMAC.String() != "fa:16:3f:00:00:0a" {
		t.Errorf("p3 got src %s, want the rewritten one", e.SrcMAC)
	}
}

func TestLoopIsACountedDrop(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,actions=output:2,resubmit(,1)
table=1,actions=resubmit(,0)`)
	s.send("p1", udpFrame(t, -1))
	if got := s.got(); len(got) != 0 {
		t.Fatalf("a looping translation sent %v", got)
	}
	if b.Drops(DropLoop) != 1 {
		t.Fatalf("loop drops = %d, want 1", b.Drops(DropLoop))
	}
}

func TestDropReasons(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailSecure)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.flows("br0", `table=0,in_port=1,dl_dst=ff:ff:ff:ff:ff:ff,actions=drop
table=0,in_port=1,ip,actions=resubmit(,5)`)
	s.send("p1", frame(t, macVM, macB, -1, arpRequest(macVM, ipVM, ipGW))) // arp: table miss
	s.send("p1", frame(t, macVM, macBC, -1, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1, 2)...)...))
	s.send("p1", udpFrame(t, -1))    // resubmit into an empty table: a miss there
	s.send("p1", []byte{1, 2, 3, 4}) // too short
	for r, n := range map[DropReason]uint64{DropExplicit: 1, DropTooShort: 1} {
		if b.Drops(r) != n {
			t.Errorf("drops[%s] = %d, want %d", r, b.Drops(r), n)
		}
	}
	if b.Drops(DropTableMiss) != 2 {
		t.Errorf("table_miss drops = %d, want 2 (arp miss, and the empty table 5)", b.Drops(DropTableMiss))
	}
	if len(s.got()) != 0 {
		t.Fatal("nothing should have been sent")
	}
}

func TestPatchPortsCrossBridges(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br-int", FailSecure)
	s.bridge("br-vlan", FailSecure)
	s.port("br-int", "vm1:5,tag=1")
	s.port("br-int", "int-br-vlan:1,patch=phy-br-vlan")
	s.port("br-vlan", "phy-br-vlan:1,patch=int-br-vlan")
	s.port("br-vlan", "eth1:2")
	s.flows("br-int", "table=0,priority=0,actions=NORMAL")
	s.flows("br-vlan", `table=0,priority=4,in_port=1,dl_vlan=1,actions=mod_vlan_vid:196,NORMAL
table=0,priority=2,in_port=1,actions=drop
table=0,priority=0,actions=NORMAL`)
	s.send("vm1", udpFrame(t, -1))
	out := s.got()["eth1"]
	if len(out) != 1 {
		t.Fatalf("eth1 got %d frames, want 1", len(out))
	}
	d, _ := decode(out[0]).Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
	if d == nil || d.VLANIdentifier != 196 {
		t.Fatalf("want VLAN 196 on the wire, got %v", d)
	}
	// The reverse direction: VLAN 196 from the wire reaches the VM untagged.
	s.flows("br-int", "table=0,priority=3,in_port=1,dl_vlan=196,actions=mod_vlan_vid:1,NORMAL")
	s.send("eth1", frame(t, macB, macVM, 196, append([]gopacket.SerializableLayer{ipv4(ipB, ipVM, layers.IPProtocolUDP)}, udp(2000, 1000)...)...))
	back := s.got()["vm1"]
	if len(back) != 1 || decode(back[0]).Layer(layers.LayerTypeDot1Q) != nil {
		t.Fatalf("vm1 should get one untagged frame, got %d", len(back))
	}
}

func TestMalformedFramesAreForwardedAndCounted(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailStandalone)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	good := udpFrame(t, -1)
	bad := append([]byte(nil), good[:14+12]...) // IPv4 header cut short
	s.send("p1", bad)
	if b.Malformed.Load() != 1 {
		t.Fatalf("malformed = %d, want 1", b.Malformed.Load())
	}
	if out := s.got()["p2"]; len(out) != 1 || !bytes.Equal(out[0], bad) {
		t.Fatalf("the malformed frame should be flooded unchanged to p2, got %x", out)
	}
}
