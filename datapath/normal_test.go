package datapath

import (
	"net"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// vids summarises what each port got: port -> VLAN of each frame (-1 = untagged).
func vids(got map[string][][]byte) map[string][]int {
	out := map[string][]int{}
	for p, fs := range got {
		for _, f := range fs {
			v := -1
			if d, ok := decode(f).Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
				v = int(d.VLANIdentifier)
			}
			out[p] = append(out[p], v)
		}
	}
	return out
}

func keys(m map[string][]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestNormalVLANs(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailStandalone)
	s.port("br0", "a1:1,tag=10")
	s.port("br0", "a2:2,tag=10")
	s.port("br0", "b1:3,tag=20")
	s.port("br0", "t1:4,trunks=10/20")
	s.port("br0", "n1:5,tag=10,trunks=10/20,mode=native-untagged")
	mac := func(i byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, i} }
	pkt := func(src, dst net.HardwareAddr, vlan int) []byte {
		return frame(t, src, dst, vlan, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1, 2)...)...)
	}
	steps := []struct {
		name string
		port string
		in   []byte
		want map[string][]int
	}{
		{"broadcast floods within VLAN 10", "a1", pkt(mac(1), macBC, -1),
			map[string][]int{"a2": {-1}, "t1": {10}, "n1": {-1}}},
		{"reply to a learned MAC goes to one port", "a2", pkt(mac(2), mac(1), -1),
			map[string][]int{"a1": {-1}}},
		{"unknown unicast floods within VLAN 20", "b1", pkt(mac(3), mac(9), -1),
			map[string][]int{"t1": {20}, "n1": {20}}},
		{"tagged frame on an access port is dropped", "a1", pkt(mac(1), mac(2), 10), map[string][]int{}},
		{"VLAN outside the trunk list is dropped", "t1", pkt(mac(4), mac(1), 30), map[string][]int{}},
		{"untagged on a trunk without VLAN 0 is dropped", "t1", pkt(mac(4), mac(1), -1), map[string][]int{}},
		{"trunk VLAN 20 to a learned MAC", "t1", pkt(mac(4), mac(3), 20), map[string][]int{"b1": {-1}}},
		{"native-untagged: untagged input is VLAN 10", "n1", pkt(mac(5), mac(2), -1), map[string][]int{"a2": {-1}}},
		{"priority-tagged frame on an access port is accepted", "a2", pkt(mac(2), mac(5), 0), map[string][]int{"n1": {-1}}},
	}
	for _, st := range steps {
		s.send(st.port, st.in)
		got := vids(s.got())
		if len(got) != len(st.want) {
			t.Errorf("%s: got ports %v, want %v", st.name, keys(got), st.want)
			continue
		}
		for p, w := range st.want {
			g := got[p]
			if len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) {
				t.Errorf("%s: port %s got VLANs %v, want %v", st.name, p, g, w)
			}
		}
	}
	if b.Drops(DropVLAN) != 3 {
		t.Errorf("vlan drops = %d, want 3", b.Drops(DropVLAN))
	}
}

func TestNormalAgeing(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailStandalone)
	b.FDB.SetLimits(0, 10e9)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.port("br0", "p3:3")
	a, c := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	pkt := func(src, dst net.HardwareAddr) []byte {
		return frame(t, src, dst, -1, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1, 2)...)...)
	}
	now := s.w.Now()
	s.send("p1", pkt(a, macBC))
	s.got()
	s.send("p2", pkt(c, a))
	if got := s.got(); len(got) != 1 || got["p1"] == nil {
		t.Fatalf("learned MAC: want only p1, got %v", vids(got))
	}
	s.w.Now = func() int64 { return now + 20e9 }
	s.send("p2", pkt(c, a))
	if got := s.got(); len(got) != 2 {
		t.Fatalf("after ageing the MAC must flood to p1 and p3, got %v", vids(got))
	}
}

// TestSetVLANInPlace retags an attached port, as ovs-vsctl set port does
// and Neutron's agent does right after adding a port: the same device keeps
// forwarding, NORMAL uses the new VLAN at once, and what was learned on the
// port is forgotten.
func TestSetVLANInPlace(t *testing.T) {
	s := newSwitch(t)
	b := s.bridge("br0", FailStandalone)
	vm := s.port("br0", "vm:1")
	s.port("br0", "a10:2,tag=10")
	s.port("br0", "a20:3,tag=20")
	mac := func(i byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, i} }
	pkt := func(src net.HardwareAddr) []byte {
		return frame(t, src, macBC, -1, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1, 2)...)...)
	}
	dev := vm.Dev
	vm.SetVLAN(VLANAccess, 10, true, nil)
	s.send("vm", pkt(mac(1)))
	if got := vids(s.got()); len(got) != 1 || len(got["a10"]) != 1 {
		t.Fatalf("after tag=10, a broadcast reached %v, want a10 only", got)
	}
	if b.FDB.Len() != 1 {
		t.Fatalf("fdb has %d entries, want the VM's MAC", b.FDB.Len())
	}
	vm.SetVLAN(VLANAccess, 20, true, nil)
	if b.FDB.Len() != 0 {
		t.Errorf("retagging kept %d MACs learned on the port", b.FDB.Len())
	}
	s.send("vm", pkt(mac(1)))
	if got := vids(s.got()); len(got) != 1 || len(got["a20"]) != 1 {
		t.Fatalf("after tag=20, a broadcast reached %v, want a20 only", got)
	}
	if mode, tag, has, _ := vm.VLAN(); mode != VLANAccess || tag != 20 || !has || vm.Dev != dev || b.Port(1) != vm {
		t.Errorf("VLAN() = %v %d %v, device kept %v, port kept %v", mode, tag, has, vm.Dev == dev, b.Port(1) == vm)
	}
}
