package netdev_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
	"github.com/gvs-project/gvs/netdev/pmd"
	"github.com/gvs-project/gvs/vswitch"
)

// The end-to-end tests build their own network namespaces and links,
// named gvst-<pid>-<n> (namespaces) and g<pid><kind><n> (links), and remove
// them in t.Cleanup, also when a test fails.

func TestMain(m *testing.M) {
	// Re-executed inside a namespace by ip netns exec to run ethtool-like
	// ioctls there (no ethtool binary is needed).
	if ok, err := vlanHelper(); ok {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("GVST_HELPER") == "afxdp-open" {
		// Run with reduced capabilities by TestAFXDPPrivileges.
		lim := unix.Rlimit{Cur: 64 << 10, Max: 64 << 10}
		unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim)
		d, err := netdev.OpenAFXDP(os.Getenv("GVST_IF"), netdev.AFXDPConfig{})
		if err == nil {
			d.Close()
			fmt.Println("opened")
		} else {
			fmt.Println(err)
		}
		os.Exit(0)
	}
	if os.Getenv("GVST_HELPER") == "offloads" {
		if err := netdev.DisableOffloads(os.Getenv("GVST_IF")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var seq atomic.Int32

func uniq() int { return int(seq.Add(1)) }

// needRoot skips unless the test can create namespaces, veths and taps.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, veth, TAP, AF_PACKET); run as root: CI does")
	}
	for _, tool := range []string{"ip", "ping", "nc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s in PATH: %v", tool, err)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skipf("needs /dev/net/tun: %v", err)
	}
}

func sh(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func inNS(ns string, args ...string) []string {
	return append([]string{"ip", "netns", "exec", ns}, args...)
}

// newNS creates a namespace with lo up and IPv6 off (no MLD/RS noise in
// the counters).
func newNS(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("gvst-%d-%d", os.Getpid(), uniq())
	sh(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	sh(t, inNS(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")...)
	sh(t, inNS(name, "ip", "link", "set", "lo", "up")...)
	return name
}

func linkName(kind string) string {
	return fmt.Sprintf("g%d%s%d", os.Getpid()%100000, kind, uniq())
}

// endpoint is a namespace's interface towards the switch.
type endpoint struct {
	ns, ifname, ip string
	hostIf         string // host end of the veth (system ports)
}

func offloadsOff(t testing.TB, ns, ifname string) {
	t.Helper()
	if out, err := helper(ns, "GVST_HELPER=offloads", "GVST_IF="+ifname).CombinedOutput(); err != nil {
		t.Fatalf("disable offloads on %s in %s: %v\n%s", ifname, ns, err, out)
	}
}

// helper is the test binary re-executed in namespace ns with env set, to
// run one of the helpers of TestMain there.
func helper(ns string, env ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	cmd := exec.Command("ip", "netns", "exec", ns, self)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func configure(t testing.TB, e endpoint, cidr, mac string) {
	t.Helper()
	sh(t, inNS(e.ns, "sysctl", "-qw", "net.ipv6.conf."+e.ifname+".disable_ipv6=1")...)
	if mac != "" {
		sh(t, inNS(e.ns, "ip", "link", "set", e.ifname, "address", mac)...)
	}
	sh(t, inNS(e.ns, "ip", "addr", "add", cidr, "dev", e.ifname)...)
	sh(t, inNS(e.ns, "ip", "link", "set", e.ifname, "up")...)
}

// vethEndpoint creates a veth whose peer is in a new namespace; the host
// end is for a system (or afxdp) port. Offloads are off on both ends, as a
// userspace switch needs (see DisableOffloads).
func vethEndpoint(t testing.TB, cidr, mac string) endpoint {
	t.Helper()
	return vethEndpointQ(t, cidr, mac, 1)
}

// vethEndpointQ is vethEndpoint with queues TX and RX queues on each end.
func vethEndpointQ(t testing.TB, cidr, mac string, queues int) endpoint {
	t.Helper()
	ns := newNS(t)
	host, peer := linkName("h"), linkName("n")
	q := strconv.Itoa(queues)
	sh(t, "ip", "link", "add", host, "numtxqueues", q, "numrxqueues", q, "type", "veth", "peer", "name", peer, "numtxqueues", q, "numrxqueues", q)
	t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	sh(t, "sysctl", "-qw", "net.ipv6.conf."+host+".disable_ipv6=1")
	if err := netdev.DisableOffloads(host); err != nil {
		t.Fatal(err)
	}
	sh(t, "ip", "link", "set", peer, "netns", ns)
	offloadsOff(t, ns, peer)
	e := endpoint{ns: ns, ifname: peer, ip: strings.Split(cidr, "/")[0], hostIf: host}
	configure(t, e, cidr, mac)
	sh(t, "ip", "link", "set", host, "up")
	return e
}

// tapEndpoint creates a TAP device through gvs and moves it into a new
// namespace.
func tapEndpoint(t testing.TB, cidr, mac string) (endpoint, *netdev.Tap) {
	t.Helper()
	ns := newNS(t)
	name := linkName("t")
	tap, err := netdev.OpenTap(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tap.Close() })
	sh(t, "ip", "link", "set", name, "netns", ns)
	e := endpoint{ns: ns, ifname: name, ip: strings.Split(cidr, "/")[0]}
	configure(t, e, cidr, mac)
	return e, tap
}

// kstat reads a kernel interface counter inside a namespace.
func kstat(t testing.TB, ns, ifname, counter string) uint64 {
	t.Helper()
	out := sh(t, inNS(ns, "cat", "/sys/class/net/"+ifname+"/statistics/"+counter)...)
	v, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testSwitch is a datapath with one bridge whose ports are polled.
type testSwitch struct {
	dp *datapath.Datapath
	pl *pmd.Poller
	br string
}

func newSwitch(t testing.TB, mode datapath.FailMode) *testSwitch {
	t.Helper()
	return newSwitchPMDs(t, mode, 1)
}

// newSwitchPMDs is newSwitch with pmds polling threads: ports are spread
// over them, so output crosses threads.
func newSwitchPMDs(t testing.TB, mode datapath.FailMode, pmds int) *testSwitch {
	t.Helper()
	pl, err := pmd.NewPoller(pmds, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &testSwitch{dp: datapath.New(), pl: pl, br: fmt.Sprintf("gvst%d-%d", os.Getpid()%100000, uniq())}
	if _, err := s.dp.AddBridge(s.br, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.dp.DelBridge(s.br)
		pl.Close()
	})
	return s
}

func (s *testSwitch) add(t testing.TB, name string, ofport uint16, tag uint16, dev datapath.BatchDevice) *datapath.Port {
	t.Helper()
	pc := config.Port{Name: name, OFPort: ofport, Type: "system"}
	if tag != 0 {
		pc.Tag = &tag
	}
	p, err := vswitch.NewPort(pc)
	if err != nil {
		t.Fatal(err)
	}
	p.Dev = s.pl.Wrap(dev)
	if err := s.dp.AddPort(s.br, p, ""); err != nil {
		dev.Close()
		t.Fatal(err)
	}
	return p
}

func ping(t testing.TB, from endpoint, to string) {
	t.Helper()
	sh(t, inNS(from.ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", to)...)
}

// tcpTransfer sends size random bytes from a to b with nc and checks the
// sha256 of what b received.
func tcpTransfer(t testing.TB, a, b endpoint, size int) time.Duration {
	t.Helper()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l := exec.CommandContext(ctx, "ip", "netns", "exec", b.ns, "nc", "-l", "-n", b.ip, "5001")
	l.Stdout = out
	var lerr bytes.Buffer
	l.Stderr = &lerr
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l.ProcessState == nil {
			l.Process.Kill()
			l.Wait()
		}
	})
	waitListening(t, b.ns, "tcp", b.ip, "5001")
	start := time.Now()
	var serr error
	for try := 0; try < 50; try++ {
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		c := exec.CommandContext(ctx, "ip", "netns", "exec", a.ns, "nc", "-N", "-n", b.ip, "5001")
		c.Stdin = in
		var o bytes.Buffer
		c.Stderr = &o
		serr = c.Run()
		in.Close()
		if serr == nil {
			break
		}
		serr = fmt.Errorf("%v: %s", serr, o.String())
	}
	if serr != nil {
		t.Fatalf("nc send: %v", serr)
	}
	if err := l.Wait(); err != nil {
		t.Fatalf("nc listen: %v: %s", err, lerr.String())
	}
	took := time.Since(start)
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("TCP transfer: received %d bytes with sha256 %x, sent %d bytes with %x", len(got), sha256.Sum256(got), len(data), sha256.Sum256(data))
	}
	t.Logf("TCP %d bytes %s -> %s: sha256 matches, %.1f MB/s", size, a.ip, b.ip, float64(size)/took.Seconds()/1e6)
	return took
}

// checkCounters compares a gvs port's counters with the kernel's on the
// namespace end of the link: what the namespace sent gvs received, what
// gvs sent the namespace received.
func checkCounters(t testing.TB, p *datapath.Port, e endpoint) {
	t.Helper()
	var rx, tx, krx, ktx uint64
	for try := 0; try < 20; try++ {
		time.Sleep(50 * time.Millisecond)
		rx, tx = p.Stats.RxPackets.Load(), p.Stats.TxPackets.Load()
		ktx, krx = kstat(t, e.ns, e.ifname, "tx_packets"), kstat(t, e.ns, e.ifname, "rx_packets")
		if rx == ktx && tx == krx {
			break
		}
	}
	if rx != ktx || tx != krx {
		t.Errorf("port %s: gvs rx %d tx %d (dropped rx %d tx %d); kernel %s in %s: tx %d rx %d",
			p.Name, rx, tx, p.Stats.RxDropped.Load(), p.Stats.TxDropped.Load(), e.ifname, e.ns, ktx, krx)
	} else {
		t.Logf("port %s: gvs rx %d tx %d = kernel %s tx %d rx %d", p.Name, rx, tx, e.ifname, ktx, krx)
	}
}

// waitListening waits until a socket of proto (tcp or udp) is bound to
// ip:port in namespace ns, as ss shows it, so that a client never races
// its listener; it fails the test after 5 s.
func waitListening(t testing.TB, ns, proto, ip, port string) {
	t.Helper()
	flags := "-Hltn"
	if proto == "udp" {
		flags = "-Hlun"
	}
	re := regexp.MustCompile(regexp.QuoteMeta(ip+":"+port) + `\b`)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if re.MatchString(sh(t, inNS(ns, "ss", flags)...)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s %s:%s in %s after 5s", proto, ip, port, ns)
		}
	}
}
