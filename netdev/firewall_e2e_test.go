package netdev_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev/pmd"
	"github.com/gvs-project/gvs/vswitch"
)

// TestNeutronFirewall runs Neutron's openvswitch firewall flows (example D,
// testdata/flows/D-master-br-int-ovsfw.flows, unchanged) on kernel ports
// with a connection tracker, in the topology of the d-firewall replay case:
//
//	VM ns (tap, ofport 5, tag 1) -- br-int ==patch int-br-vlan(1) / phy-br-vlan(1)== br-vlan
//	br-vlan: out20 (192.168.1.20, SG member) and out21 (192.168.1.21, not a member),
//	         both access ports of VLAN 196 (the provider VLAN of net test1)
//
// The default security group allows all egress and admits ingress only
// from its members (192.168.1.9 and .20), so the VM reaches .21 and gets
// its replies, .21 cannot open a connection to the VM, .20 can, and the
// VM's connections sit in conntrack zone 1 (local VLAN 1 = reg6).
func TestNeutronFirewall(t *testing.T) {
	needRoot(t)
	intFlows, err := filepath.Abs("../testdata/flows/D-master-br-int-ovsfw.flows")
	if err != nil {
		t.Fatal(err)
	}
	vlanFlows, err := filepath.Abs("../testdata/replay/d-firewall/br-vlan.flows")
	if err != nil {
		t.Fatal(err)
	}

	pl, err := pmd.NewPoller(1, 0)
	if err != nil {
		t.Fatal(err)
	}
	dp := datapath.New()
	ct := vswitch.NewConntrack(config.Conntrack{})
	dp.Conntrack = ct
	id := fmt.Sprintf("%d-%d", os.Getpid()%100000, uniq())
	brInt, brVlan := "gvsti"+id, "gvstv"+id
	for _, br := range []string{brInt, brVlan} {
		if _, err := dp.AddBridge(br, datapath.FailSecure); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		dp.DelBridge(brInt)
		dp.DelBridge(brVlan)
		pl.Close()
	})
	add := func(br, name string, ofport, tag uint16, dev datapath.BatchDevice) *datapath.Port {
		t.Helper()
		pc := config.Port{Name: name, OFPort: ofport, Type: "system"}
		if tag != 0 {
			pc.Tag = &tag
		}
		p, err := vswitch.NewPort(pc)
		if err != nil {
			t.Fatal(err)
		}
		p.Dev = pl.Wrap(dev)
		if err := dp.AddPort(br, p, ""); err != nil {
			dev.Close()
			t.Fatal(err)
		}
		return p
	}
	patch := func(br, name, peer string) {
		t.Helper()
		p, err := vswitch.NewPort(config.Port{Name: name, OFPort: 1, Type: "patch"})
		if err != nil {
			t.Fatal(err)
		}
		if err := dp.AddPort(br, p, peer); err != nil {
			t.Fatal(err)
		}
	}

	vm, dvm := tapPort(t, "192.168.1.9/24", "fa:16:3e:11:11:09")
	member, dmember := systemPort(t, "192.168.1.20/24", "fa:16:3e:22:22:20")
	stranger, dstranger := systemPort(t, "192.168.1.21/24", "fa:16:3e:22:22:21")
	patch(brInt, "int-br-vlan", "phy-br-vlan")
	patch(brVlan, "phy-br-vlan", "int-br-vlan")
	pvm := add(brInt, "qvo-vm", 5, 1, dvm)
	add(brVlan, "out20", 2, 196, dmember)
	add(brVlan, "out21", 3, 196, dstranger)
	if dp.PortByName("int-br-vlan").Peer() == nil {
		t.Fatal("patch ports int-br-vlan and phy-br-vlan are not linked")
	}
	if err := dp.LoadFlowFile(brInt, intFlows); err != nil {
		t.Fatal(err)
	}
	if err := dp.LoadFlowFile(brVlan, vlanFlows); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	step := func(what string, since time.Time) {
		t.Logf("%s: %v", what, time.Since(since).Round(time.Millisecond))
	}

	// (3) ICMP echo egress is allowed; the replies are +est+rpl in zone 1.
	s := time.Now()
	out, err := exec.Command("ip", inNS(vm.ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", stranger.ip)[1:]...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 3 received") {
		t.Fatalf("ping from the VM to %s: %v\n%s", stranger.ip, err, out)
	}
	t.Logf("ping VM -> %s: %s", stranger.ip, lastLines(string(out), 2))
	step("ping VM -> non-member", s)

	// (1) The VM opens a TCP connection to the non-member and sends data.
	s = time.Now()
	tcpTransfer(t, vm, stranger, 1<<20)
	step("TCP VM -> non-member", s)

	// One listener in the VM for (2) and (4): it takes one connection.
	s = time.Now()
	l := listen(t, vm, "5003")

	// (2) A non-member's connection to the VM is not admitted: the SYN
	// dies in table 82 (no conjunction for 192.168.1.21), so nc times out
	// rather than being refused, and the listener sees nothing.
	c0 := time.Now()
	out, err = exec.Command("ip", inNS(stranger.ns, "nc", "-v", "-n", "-z", "-w", "2", vm.ip, "5003")[1:]...).CombinedOutput()
	took := time.Since(c0)
	if err == nil {
		t.Errorf("nc from non-member %s to the VM connected:\n%s", stranger.ip, out)
	} else if !strings.Contains(string(out), "timed out") || took < 1500*time.Millisecond {
		t.Errorf("nc from non-member %s to the VM failed after %v without timing out: %v\n%s", stranger.ip, took, err, out)
	} else {
		t.Logf("nc %s -> VM:5003 rejected after %v: %s", stranger.ip, took.Round(time.Millisecond), strings.TrimSpace(string(out)))
	}
	if err := l.wait(0); err == nil || !strings.HasPrefix(err.Error(), "still running") {
		t.Fatalf("VM listener exited during the non-member's attempt: %v (received %q)", err, l.received(t))
	}
	if got := l.received(t); got != "" {
		t.Errorf("VM listener received %q from the non-member", got)
	}
	step("TCP non-member -> VM (timeout)", s)

	// (4) A security-group member's connection is admitted (conjunction
	// 17: nw_src 192.168.1.20 and ct_state=+new-est) and the same listener
	// gets the payload.
	s = time.Now()
	const payload = "gvs-firewall-member-admitted\n"
	cmd := exec.Command("ip", inNS(member.ns, "nc", "-N", "-n", "-w", "5", vm.ip, "5003")[1:]...)
	cmd.Stdin = strings.NewReader(payload)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nc from member %s to the VM: %v\n%s", member.ip, err, out)
	}
	if err := l.wait(10 * time.Second); err != nil {
		t.Fatalf("VM listener: %v", err)
	}
	if got := l.received(t); got != payload {
		t.Errorf("VM listener received %q from the member, want %q", got, payload)
	} else {
		t.Logf("VM listener received the member's %d-byte payload", len(got))
	}
	step("TCP member -> VM", s)

	// Pings the other way follow the same rules: the member's echo
	// requests are admitted, the non-member's are dropped.
	s = time.Now()
	ping(t, member, vm.ip)
	if out, err := exec.Command("ip", inNS(stranger.ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", vm.ip)[1:]...).CombinedOutput(); err == nil {
		t.Errorf("ping from non-member %s to the VM got replies:\n%s", stranger.ip, out)
	}
	step("ping member/non-member -> VM", s)

	// (5) The connections are in the tracker, all in zone 1; the
	// non-member's attempts were looked up but never committed.
	all := ct.Dump(nil)
	zone := uint16(1)
	z1 := ct.Dump(&zone)
	t.Logf("conntrack (%d entries):\n%s", len(all), conntrack.Format(all))
	if len(z1) != len(all) {
		t.Errorf("%d of %d conntrack entries are in zone 1, want all", len(z1), len(all))
	}
	vmIP, memberIP, strangerIP := netip.MustParseAddr(vm.ip), netip.MustParseAddr(member.ip), netip.MustParseAddr(stranger.ip)
	find := func(proto uint8, src, dst netip.Addr, dport uint16) *conntrack.Entry {
		for i := range z1 {
			e := &z1[i]
			if e.Proto == proto && e.Orig.Src == src && e.Orig.Dst == dst && (proto != 6 || e.Orig.DstPort == dport) {
				return e
			}
		}
		return nil
	}
	if find(6, vmIP, strangerIP, 5001) == nil {
		t.Errorf("no zone 1 entry for the VM's TCP connection %s -> %s:5001", vmIP, strangerIP)
	}
	if find(1, vmIP, strangerIP, 0) == nil {
		t.Errorf("no zone 1 entry for the VM's ping to %s", strangerIP)
	}
	if find(6, memberIP, vmIP, 5003) == nil {
		t.Errorf("no zone 1 entry for the member's TCP connection %s -> %s:5003", memberIP, vmIP)
	}
	for _, e := range all {
		if e.Orig.Src == strangerIP {
			t.Errorf("the non-member's rejected traffic was committed: %s", e)
		}
	}
	checkCounters(t, pvm, vm)
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// listener is nc -l in a namespace writing what it receives to a file.
type listener struct {
	cmd  *exec.Cmd
	out  string
	done chan error
}

// listen starts nc -l on e's address and port and waits until the socket
// is listening.
func listen(t *testing.T, e endpoint, port string) *listener {
	t.Helper()
	out := filepath.Join(t.TempDir(), "recv")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	l := &listener{out: out, done: make(chan error, 1)}
	l.cmd = exec.CommandContext(ctx, "ip", "netns", "exec", e.ns, "nc", "-l", "-n", e.ip, port)
	l.cmd.Stdout, l.cmd.Stderr = f, f
	if err := l.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { l.done <- l.cmd.Wait(); cancel() }()
	t.Cleanup(func() {
		l.cmd.Process.Kill()
		l.wait(5 * time.Second)
	})
	waitListening(t, e.ns, "tcp", e.ip, port)
	return l
}

// wait waits up to d for the listener to exit.
func (l *listener) wait(d time.Duration) error {
	if d == 0 {
		select {
		case err := <-l.done:
			l.done <- err
			return err
		default:
			return fmt.Errorf("still running")
		}
	}
	select {
	case err := <-l.done:
		l.done <- err
		return err
	case <-time.After(d):
		return fmt.Errorf("still running after %v", d)
	}
}

func (l *listener) received(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(l.out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " / ")
}
