package netdev_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
)

// transferSize is the TCP payload of every end-to-end transfer (>= 10 MB).
const transferSize = 12 << 20

// attach makes the switch port for endpoint kind "system" or "tap".
type attachFunc func(t *testing.T, cidr, mac string) (endpoint, datapath.BatchDevice)

func systemPort(t *testing.T, cidr, mac string) (endpoint, datapath.BatchDevice) {
	e := vethEndpoint(t, cidr, mac)
	dev, err := netdev.OpenSystem(e.hostIf)
	if err != nil {
		t.Fatal(err)
	}
	return e, dev
}

func tapPort(t *testing.T, cidr, mac string) (endpoint, datapath.BatchDevice) {
	return tapEndpoint(t, cidr, mac)
}

func afxdpPort(t *testing.T, cidr, mac string) (endpoint, datapath.BatchDevice) {
	if err := netdev.AFXDPSupported(); err != nil {
		t.Skipf("AF_XDP unavailable: %v", err)
	}
	e := vethEndpoint(t, cidr, mac)
	dev, err := netdev.OpenAFXDP(e.hostIf, netdev.AFXDPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	mode, zc := dev.Mode()
	t.Logf("afxdp %s: %s mode, zero-copy %v, %d queue(s)", e.hostIf, mode, zc, dev.Queues())
	return e, dev
}

// afxdp2qPort serves both queues of a 2-queue veth: in native mode
// rx_queue_index is the queue the sender used, so a socket on queue 0
// alone would miss traffic (afxdp.md pitfall 11).
func afxdp2qPort(t *testing.T, cidr, mac string) (endpoint, datapath.BatchDevice) {
	if err := netdev.AFXDPSupported(); err != nil {
		t.Skipf("AF_XDP unavailable: %v", err)
	}
	e := vethEndpointQ(t, cidr, mac, 2)
	dev, err := netdev.OpenAFXDP(e.hostIf, netdev.AFXDPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if dev.Queues() != 2 {
		t.Errorf("afxdp on a 2-queue veth serves %d queues", dev.Queues())
	}
	mode, _ := dev.Mode()
	t.Logf("afxdp %s: %s mode, %d queues", e.hostIf, mode, dev.Queues())
	return e, dev
}

var kinds = []struct {
	name   string
	attach attachFunc
}{
	{"system", systemPort},
	{"tap", tapPort},
	{"afxdp", afxdpPort},
	{"afxdp-2q", afxdp2qPort},
}

// TestNormal joins two namespaces through a standalone bridge (NORMAL) on
// access ports of VLAN 100: ping both ways, a 12 MiB TCP transfer, and
// port counters equal to the kernel's. Two polling threads, so each
// port's output is sent from the other port's thread.
func TestNormal(t *testing.T) {
	needRoot(t)
	for i, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			sw := newSwitchPMDs(t, datapath.FailStandalone, 2)
			net := fmt.Sprintf("10.200.%d.", 10+i)
			a, da := k.attach(t, net+"1/24", "")
			b, db := k.attach(t, net+"2/24", "")
			pa := sw.add(t, "a", 1, 100, da)
			pb := sw.add(t, "b", 2, 100, db)
			ping(t, a, b.ip)
			ping(t, b, a.ip)
			tcpTransfer(t, a, b, transferSize)
			tcpTransfer(t, b, a, transferSize)
			checkCounters(t, pa, a)
			checkCounters(t, pb, b)
		})
	}
}

// TestNeutronPipeline runs example A's br-int flows (Neutron's legacy OVS
// agent: ARP and MAC anti-spoofing for VM port 5, local VLAN 1 and NORMAL)
// between the VM port 5 and a second access port 6 on tag 1.
func TestNeutronPipeline(t *testing.T) {
	needRoot(t)
	flows, err := filepath.Abs("../testdata/flows/A-legacy-br-int.flows")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			sw := newSwitch(t, datapath.FailSecure)
			vm, dvm := k.attach(t, "192.168.1.9/24", "fa:16:3e:11:11:09")
			peer, dpeer := k.attach(t, "192.168.1.20/24", "fa:16:3e:22:22:20")
			pvm := sw.add(t, "vm", 5, 1, dvm)
			ppeer := sw.add(t, "peer", 6, 1, dpeer)
			if err := sw.dp.LoadFlowFile(sw.br, flows); err != nil {
				t.Fatal(err)
			}
			ping(t, vm, peer.ip)
			ping(t, peer, vm.ip)
			tcpTransfer(t, vm, peer, transferSize)
			tcpTransfer(t, peer, vm, transferSize)
			// ARP anti-spoofing: the VM may only answer ARP for its
			// own address, so a second address on it is unreachable.
			sh(t, inNS(vm.ns, "ip", "addr", "add", "192.168.1.99/24", "dev", vm.ifname)...)
			if out, err := exec.Command("ip", inNS(peer.ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", "192.168.1.99")[1:]...).CombinedOutput(); err == nil {
				t.Errorf("spoofed address 192.168.1.99 on port 5 answered:\n%s", out)
			}
			checkCounters(t, pvm, vm)
			checkCounters(t, ppeer, peer)
		})
	}
}

// TestOversizeDropped sends frames larger than the port MTU gvs was opened
// with (the namespace raised the tap's MTU behind gvs's back): they are
// counted as receive drops and never forwarded, truncated or not.
func TestOversizeDropped(t *testing.T) {
	needRoot(t)
	sw := newSwitch(t, datapath.FailStandalone)
	a, da := tapEndpoint(t, "10.200.20.1/24", "")
	b, db := tapEndpoint(t, "10.200.20.2/24", "")
	pa := sw.add(t, "a", 1, 0, da)
	sw.add(t, "b", 2, 0, db)
	ping(t, a, b.ip)
	sh(t, inNS(a.ns, "ip", "link", "set", a.ifname, "mtu", "4000")...)
	before := pa.Stats.RxDropped.Load()
	bRx := kstat(t, b.ns, b.ifname, "rx_packets")
	if out, err := exec.Command("ip", inNS(a.ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-s", "3000", "-M", "do", b.ip)[1:]...).CombinedOutput(); err == nil {
		t.Fatalf("3000-byte ping crossed a 1500-MTU switch port:\n%s", out)
	}
	if got := pa.Stats.RxDropped.Load() - before; got < 2 {
		t.Errorf("rx drops on %s went up by %d, want >= 2 (the oversize pings)", pa.Name, got)
	}
	if got := kstat(t, b.ns, b.ifname, "rx_packets") - bRx; got != 0 {
		t.Errorf("%d frames reached %s", got, b.ifname)
	}
	ping(t, a, b.ip) // normal-size traffic still flows
}

// TestLinkDown: when the link of a system port goes down, the port goes
// down in gvs (output to it is dropped as port down) and comes back with
// the link.
func TestLinkDown(t *testing.T) {
	needRoot(t)
	sw := newSwitch(t, datapath.FailStandalone)
	a, da := systemPort(t, "10.200.21.1/24", "")
	b, db := systemPort(t, "10.200.21.2/24", "")
	sw.add(t, "a", 1, 0, da)
	pb := sw.add(t, "b", 2, 0, db)
	ping(t, a, b.ip)
	waitUp := func(want bool) {
		t.Helper()
		for i := 0; i < 40 && pb.Up.Load() != want; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if pb.Up.Load() != want {
			t.Fatalf("port b up = %v, want %v", !want, want)
		}
	}
	sh(t, inNS(b.ns, "ip", "link", "set", b.ifname, "down")...)
	waitUp(false)
	sh(t, inNS(b.ns, "ip", "link", "set", b.ifname, "up")...)
	waitUp(true)
	ping(t, a, b.ip)
}

// TestLocalPort: the bridge's LOCAL port as an internal interface (moved
// into a namespace here, so no address is configured on the host) reaches
// a system port through NORMAL.
func TestLocalPort(t *testing.T) {
	needRoot(t)
	sw := newSwitch(t, datapath.FailStandalone)
	b := sw.dp.Bridge(sw.br)
	if err := sw.pl.AttachLocal(sw.dp, b, func() (datapath.BatchDevice, error) { return netdev.OpenInternal(b.Name) }); err != nil {
		t.Fatal(err)
	}
	ns := newNS(t)
	sh(t, "ip", "link", "set", sw.br, "netns", ns)
	local := endpoint{ns: ns, ifname: sw.br, ip: "10.200.22.1"}
	configure(t, local, "10.200.22.1/24", "")
	peer, dev := systemPort(t, "10.200.22.2/24", "")
	sw.add(t, "peer", 1, 0, dev)
	ping(t, local, peer.ip)
	ping(t, peer, local.ip)
	checkCounters(t, b.Local, local)
}

// TestTrunk: namespace A is on a trunk port and speaks VLAN 7 with tagged
// frames (made and checked with packet sockets: this kernel has no 8021q
// module), namespace B is on an access port of VLAN 7. A's tagged UDP must
// reach B's socket untagged, and B's ARP must reach A tagged 7. AF_PACKET
// delivers frames with the tag taken out (gvs puts it back from the ring
// header); AF_XDP and taps deliver it in place.
func TestTrunk(t *testing.T) {
	needRoot(t)
	for i, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			sw := newSwitch(t, datapath.FailStandalone)
			net := fmt.Sprintf("10.200.%d.", 40+i)
			a, da := k.attach(t, "10.200.255.1/30", "") // A's untagged address, unused
			b, db := k.attach(t, net+"2/24", "")
			pa := sw.add(t, "a", 1, 0, da) // trunk: all VLANs
			sw.add(t, "b", 2, 7, db)
			bmac := strings.TrimSpace(sh(t, inNS(b.ns, "cat", "/sys/class/net/"+b.ifname+"/address")...))

			// A -> B: tagged in, untagged out.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			l := exec.CommandContext(ctx, "ip", "netns", "exec", b.ns, "nc", "-u", "-l", "-n", "-W", "1", b.ip, "5002")
			var got bytes.Buffer
			l.Stdout = &got
			if err := l.Start(); err != nil {
				t.Fatal(err)
			}
			waitListening(t, b.ns, "udp", b.ip, "5002")
			if out, err := helper(a.ns, "GVST_HELPER=send-tagged", "GVST_IF="+a.ifname, "GVST_DMAC="+bmac,
				"GVST_SRC="+net+"1", "GVST_DST="+b.ip, "GVST_PORT=5002", "GVST_VLAN=7", "GVST_PAYLOAD=gvs-trunk-ok").CombinedOutput(); err != nil {
				t.Fatalf("send tagged: %v\n%s", err, out)
			}
			l.Wait()
			if !strings.Contains(got.String(), "gvs-trunk-ok") {
				t.Errorf("B's UDP socket got %q from A's VLAN 7 frames", got.String())
			}

			// B -> A: untagged in, tagged 7 out (B's ARP for A's address).
			r := helper(a.ns, "GVST_HELPER=recv-tagged", "GVST_IF="+a.ifname, "GVST_VLAN=7")
			var rout bytes.Buffer
			r.Stdout, r.Stderr = &rout, &rout
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			exec.Command("ip", inNS(b.ns, "ping", "-c", "2", "-W", "1", net+"1")[1:]...).Run()
			if err := r.Wait(); err != nil {
				t.Errorf("A did not get B's ARP tagged 7: %v %s", err, rout.String())
			}
			if pa.Stats.RxPackets.Load() == 0 || pa.Stats.TxPackets.Load() == 0 {
				t.Errorf("trunk port counters rx %d tx %d", pa.Stats.RxPackets.Load(), pa.Stats.TxPackets.Load())
			}
		})
	}
}
