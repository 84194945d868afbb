package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
)

// needNet skips a test that needs root, network namespaces and ping on a
// developer's machine, and fails it where CI=true: CI has them all.
func needNet(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "needs root (network namespaces, veths, AF_PACKET)"
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil && why == "" {
			why = fmt.Sprintf("needs %s: %v", tool, err)
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: this test must run)", why)
	}
	t.Skip(why)
}

// netLab is a test's network namespaces and veths, named after the test
// process so that parallel runs do not meet; everything it makes is
// removed at the end of the test.
type netLab struct {
	t   *testing.T
	tag string // the test process's pid, for names
}

// newNetLab names its namespaces and links after the test process and
// sub, one letter that tells the labs of one process apart.
func newNetLab(t *testing.T, sub string) *netLab {
	return &netLab{t: t, tag: fmt.Sprint(os.Getpid()%100000) + sub}
}

// sh runs a command and fails the test if it fails.
func (l *netLab) sh(args ...string) string {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (l *netLab) ns(x string) string   { return "gvsdev-" + l.tag + "-" + x }
func (l *netLab) host(x string) string { return "dh" + l.tag + x } // ≤ 15 bytes
func (l *netLab) peer(x string) string { return "dn" + l.tag + x }
func (l *netLab) ip(x string) string {
	return "10.211.7." + map[string]string{"a": "1", "b": "2", "c": "3"}[x]
}

// addNS creates namespace x (IPv6 off: no stray router solicitations).
func (l *netLab) addNS(x string) {
	l.t.Helper()
	l.sh("ip", "netns", "add", l.ns(x))
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", l.ns(x)).Run() })
	l.in(x, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
}

// in runs a command in namespace x.
func (l *netLab) in(x string, args ...string) string {
	l.t.Helper()
	return l.sh(append([]string{"ip", "netns", "exec", l.ns(x)}, args...)...)
}

// veth creates host(x) in gvsd's namespace with its peer in namespace x,
// addressed and up. ARP retries every 50 ms there, so a request lost
// while a port is down is not retried a second later only.
func (l *netLab) veth(x string) {
	l.t.Helper()
	l.sh("ip", "link", "add", l.host(x), "type", "veth", "peer", "name", l.peer(x), "netns", l.ns(x))
	l.t.Cleanup(func() { exec.Command("ip", "link", "del", l.host(x)).Run() })
	l.sh("sysctl", "-qw", "net.ipv6.conf."+l.host(x)+".disable_ipv6=1")
	l.in(x, "sysctl", "-qw", "net.ipv4.neigh."+l.peer(x)+".retrans_time_ms=50")
	l.in(x, "ip", "addr", "add", l.ip(x)+"/24", "dev", l.peer(x))
	l.in(x, "ip", "link", "set", l.peer(x), "up")
}

// delVeth deletes host(x) and with it its peer.
func (l *netLab) delVeth(x string) {
	l.t.Helper()
	l.sh("ip", "link", "del", l.host(x))
}

// awaitPing pings from namespace x to y's address until one echo comes
// back or the deadline passes; it returns when the echo came.
func (l *netLab) awaitPing(x, y string, deadline time.Time) (time.Time, bool) {
	for {
		err := exec.Command("ip", "netns", "exec", l.ns(x), "ping", "-c", "1", "-W", "0.1", "-q", l.ip(y)).Run()
		now := time.Now()
		if err == nil {
			return now, true
		}
		if now.After(deadline) {
			return now, false
		}
	}
}

// mustPing fails the test unless x reaches y within 5 s.
func (l *netLab) mustPing(x, y string) {
	l.t.Helper()
	if _, ok := l.awaitPing(x, y, time.Now().Add(5*time.Second)); !ok {
		l.t.Fatalf("no ping from %s to %s", x, y)
	}
}

// await polls cond every 10 ms until it holds or timeout passes.
func await(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// TestMissingDevice: gvsd starts with a system (or afxdp) port whose veth
// does not exist (from the configuration, then from the saved state),
// forwards between its other ports, shows the missing one down with Open
// vSwitch's reason (show, dump-ports, metrics, one warning in the log),
// and forwards on it within a second of the veth being created; the veth
// deleted and re-created under the running gvsd, forwarding resumes. A
// missing interface given to add-port is added, down, with a warning.
func TestMissingDevice(t *testing.T) {
	needNet(t)
	for _, c := range []struct{ typ, sub string }{{"system", "s"}, {"afxdp", "x"}} {
		t.Run(c.typ, func(t *testing.T) {
			if c.typ == "afxdp" {
				if err := netdev.AFXDPSupported(); err != nil {
					t.Skipf("AF_XDP unavailable on this kernel: %v", err)
				}
			}
			missingDevice(t, newNetLab(t, c.sub), c.typ)
		})
	}
}

// missingDevice runs TestMissingDevice with port 3 of type typ.
func missingDevice(t *testing.T, l *netLab, typ string) {
	for _, x := range []string{"a", "b", "c"} {
		l.addNS(x)
	}
	l.veth("a")
	l.veth("b")
	d := startDaemon(t, daemonConfig{bridges: fmt.Sprintf(`
  - name: br0
    ports:
      - {name: %s, ofport: 1, type: system}
      - {name: %s, ofport: 2, type: system}
      - {name: %s, ofport: 3, type: %s}
`, l.host("a"), l.host("b"), l.host("c"), typ)})
	l.mustPing("a", "b")
	reason := "could not open network device " + l.host("c") + " (No such device)"
	checkDown(t, d, l.host("c"), 3, reason)
	if n := strings.Count(d.log.String(), "port device cannot be opened"); n != 1 {
		t.Errorf("missing device logged %d times, want once", n)
	}

	created := time.Now()
	l.veth("c")
	at, ok := l.awaitPing("c", "a", created.Add(time.Second))
	if !ok {
		t.Fatalf("no forwarding on %s within 1 s of its creation\n%s", l.host("c"), d.ctl("show"))
	}
	t.Logf("forwarding on the new veth %v after its creation", at.Sub(created))
	checkUp(t, d, l.host("c"), 3)

	// Deleted under the running gvsd: down with the reason, logged; the
	// other ports go on.
	l.delVeth("c")
	await(t, 2*time.Second, "vanished device shown", func() bool {
		return strings.Contains(d.ctl("show"), fmt.Sprintf("error: %q", reason))
	})
	checkDown(t, d, l.host("c"), 3, reason)
	if !strings.Contains(d.log.String(), "port is down: its device vanished") {
		t.Error("the vanished device is not logged")
	}
	l.mustPing("b", "a")
	created = time.Now()
	l.veth("c")
	if at, ok := l.awaitPing("c", "b", created.Add(time.Second)); !ok {
		t.Fatalf("no forwarding on the re-created %s within 1 s", l.host("c"))
	} else {
		t.Logf("forwarding on the re-created veth %v after its creation", at.Sub(created))
	}

	// Saved state naming a missing device: gvsd starts all the same.
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("gvsd exit: %v", err)
	}
	l.delVeth("c")
	d.start()
	l.mustPing("a", "b")
	checkDown(t, d, l.host("c"), 3, reason)
	l.veth("c")
	l.mustPing("c", "a")
	// Nothing of the port stays on the interface once it is deleted (an
	// afxdp port's XDP program was attached to each veth in turn).
	d.ctl("del-port", "br0", l.host("c"))
	if out := l.sh("ip", "link", "show", "dev", l.host("c")); strings.Contains(out, "xdp") {
		t.Errorf("del-port left an XDP program on %s:\n%s", l.host("c"), out)
	}

	// add-port of a missing interface: added, down, with ovs-vsctl's warning.
	missing := l.host("d")
	out, errOut, err := d.gvsctlErr("add-port", "br0", missing, "type="+typ)
	if err != nil {
		t.Fatalf("add-port of a missing interface: %v\n%s", err, errOut)
	}
	if want := "Error detected while setting up '" + missing + "'"; !strings.Contains(errOut, want) {
		t.Errorf("add-port of a missing interface: stderr %q lacks %q (stdout %q)", errOut, want, out)
	}
	if show := d.ctl("show"); !strings.Contains(show, "could not open network device "+missing) {
		t.Errorf("show lacks the added port's error:\n%s", show)
	}
}

// checkDown checks that show, dump-ports and the metrics say the port is
// down with reason.
func checkDown(t *testing.T, d *daemon, port string, ofport int, reason string) {
	t.Helper()
	show := d.ctl("show")
	re := regexp.MustCompile(`(?m)^            Interface ` + port + `\n(?:                .*\n)*?                error: "` + regexp.QuoteMeta(reason) + `"\n`)
	if !re.MatchString(show) {
		t.Errorf("show lacks %s's error %q:\n%s", port, reason, show)
	}
	dump := d.ctl("dump-ports", "br0", port)
	if want := fmt.Sprintf("state: LINK_DOWN, error: %q", reason); !strings.Contains(dump, want) {
		t.Errorf("dump-ports lacks %q:\n%s", want, dump)
	}
	var r struct {
		Ports []struct {
			LinkState string `json:"linkState"`
			Error     string `json:"error"`
		} `json:"ports"`
	}
	if err := json.Unmarshal([]byte(d.ctl("-o", "json", "dump-ports", "br0", port)), &r); err != nil || len(r.Ports) != 1 {
		t.Fatalf("dump-ports -o json: %v %+v", err, r)
	}
	if r.Ports[0].LinkState != "down" || r.Ports[0].Error != reason {
		t.Errorf("dump-ports -o json: %+v", r.Ports[0])
	}
	checkMetrics(t, d, map[string]int{
		fmt.Sprintf(`gvs_port_link_up{bridge="br0",port="%s"}`, port):                         0,
		fmt.Sprintf(`gvs_port_device_error{bridge="br0",error="%s",port="%s"}`, reason, port): 1,
	})
}

// checkUp checks that show, dump-ports and the metrics have no error for
// the port and its link is up.
func checkUp(t *testing.T, d *daemon, port string, ofport int) {
	t.Helper()
	await(t, 2*time.Second, port+" link up in dump-ports", func() bool {
		return !strings.Contains(d.ctl("dump-ports", "br0", port), "state:")
	})
	if show := d.ctl("show"); strings.Contains(show, "error:") {
		t.Errorf("show has an error for a working port:\n%s", show)
	}
	checkMetrics(t, d, map[string]int{fmt.Sprintf(`gvs_port_link_up{bridge="br0",port="%s"}`, port): 1})
	if page := scrape(t, d); strings.Contains(page, `gvs_port_device_error{bridge="br0"`) {
		t.Errorf("metrics still report a device error for %s", port)
	}
}

// TestFailedAddPort: an add-port that fails (an rx pcap that does not
// parse, afxdp options that are wrong) leaves nothing: not listed, not
// saved, gvsd restarts, and a retry with a good file succeeds.
// add-port --may-exist of a port that is on another bridge or has other
// settings is refused; with the same settings it is a no-op.
func TestFailedAddPort(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	d.ctl("add-br", "br1")
	// Under the state directory: where confined pcap paths are allowed.
	pdir := filepath.Join(d.dir, "state", "pcap")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	rx := filepath.Join(pdir, "rx.pcap")
	if err := os.WriteFile(rx, []byte("this is not a pcap file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"add-port", "br0", "p1", "type=pcap", "options:rx=" + rx},
		{"add-port", "br0", "p1", "type=afxdp", "options:queues=lots"},
	} {
		if _, errOut, err := d.gvsctlErr(args...); err == nil {
			t.Fatalf("gvsctl %s succeeded", strings.Join(args, " "))
		} else if errOut == "" {
			t.Errorf("gvsctl %s failed without a message", strings.Join(args, " "))
		}
		if ports := d.ctl("list-ports", "br0"); strings.TrimSpace(ports) != "" {
			t.Errorf("failed add-port left ports listed: %q", ports)
		}
	}
	d.ctl("add-br", "br2") // a change that saves the state
	state, err := os.ReadFile(filepath.Join(d.dir, "state", "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(state), `"p1"`) {
		t.Errorf("the failed port was saved:\n%s", state)
	}
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("gvsd exit: %v", err)
	}
	d.start()

	w, err := datapath.AppendPcap(filepath.Join(pdir, "good.pcap"), func() int64 { return 0 })
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06})
	if err := w.Send(frame); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1", "options:rx="+filepath.Join(pdir, "good.pcap"))
	if ports := d.ctl("list-ports", "br0"); strings.TrimSpace(ports) != "p1" {
		t.Errorf("list-ports after the retry: %q", ports)
	}
	if rx, _ := portCounters(t, d.ctl("dump-ports", "br0", "p1"), 1); rx != 1 {
		t.Errorf("the good rx file gave %d frames, want 1", rx)
	}

	d.ctl("add-port", "br0", "p2", "type=pcap", "tag=10")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add-port", "--may-exist", "br1", "p2", "type=pcap", "tag=10"}, "actually attached to bridge br0"},
		{[]string{"add-port", "--may-exist", "br0", "p2", "type=pcap", "tag=20"}, "tag 10, not 20"},
		{[]string{"add-port", "--may-exist", "br0", "p2", "type=tap", "tag=10"}, "type pcap, not tap"},
		{[]string{"add-port", "br0", "p2", "type=pcap", "tag=10"}, "already exists on bridge br0"},
	} {
		_, errOut, err := d.gvsctlErr(c.args...)
		if err == nil || !strings.Contains(errOut, c.want) {
			t.Errorf("gvsctl %s: %v %q, want an error with %q", strings.Join(c.args, " "), err, errOut, c.want)
		}
	}
	d.ctl("add-port", "--may-exist", "br0", "p2", "type=pcap", "tag=10")
	if ports := d.ctl("list-ports", "br1"); strings.TrimSpace(ports) != "" {
		t.Errorf("refused --may-exist left ports on br1: %q", ports)
	}
	if show := d.ctl("show"); strings.Count(show, "Port p2") != 1 || !strings.Contains(show, "tag: 10") {
		t.Errorf("p2 changed by a refused --may-exist:\n%s", show)
	}
}
