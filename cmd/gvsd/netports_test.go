package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/config"
)

// TestDaemonNetPorts runs the real gvsd with a system port from its
// configuration file, then adds a tap and an afxdp port with gvsctl, pings
// between three namespaces across all of them, compares gvsctl dump-ports
// with the kernel's counters, and deletes the afxdp port (nothing may stay
// attached). Namespaces gvsd-<pid>-*, links g<pid>*; removed on exit.
func TestDaemonNetPorts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, veth, TAP, AF_PACKET, AF_XDP); CI runs as root")
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	dir := t.TempDir()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range []string{".", "../gvsctl"} {
		if out, err := exec.Command(gobin, "build", "-o", dir+"/", pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	pid := os.Getpid() % 100000
	ns := func(x string) string { return fmt.Sprintf("gvsd-%d-%s", pid, x) }
	lk := func(x string) string { return fmt.Sprintf("g%dd%s", pid, x) }
	in := func(n string, args ...string) []string { return append([]string{"ip", "netns", "exec", n}, args...) }

	afxdp := true
	if fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW, 0); err != nil {
		t.Logf("AF_XDP unavailable (%v): testing system and tap only", err)
		afxdp = false
	} else {
		unix.Close(fd)
	}
	spaces := []string{"a", "b"}
	if afxdp {
		spaces = append(spaces, "c")
	}
	for _, x := range spaces {
		run("ip", "netns", "add", ns(x))
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns(x)).Run() })
		run(in(ns(x), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")...)
	}
	veth := func(x string) {
		run("ip", "link", "add", lk("h"+x), "type", "veth", "peer", "name", lk("n"+x))
		t.Cleanup(func() { exec.Command("ip", "link", "del", lk("h"+x)).Run() })
		run("sysctl", "-qw", "net.ipv6.conf."+lk("h"+x)+".disable_ipv6=1")
		run("ip", "link", "set", lk("n"+x), "netns", ns(x))
	}
	addr := func(x, ifname, ip string) {
		run(in(ns(x), "ip", "addr", "add", ip+"/24", "dev", ifname)...)
		run(in(ns(x), "ip", "link", "set", ifname, "up")...)
	}
	veth("a")
	addr("a", lk("na"), "10.200.90.1")
	if afxdp {
		veth("c")
		addr("c", lk("nc"), "10.200.90.3")
	}

	sock := filepath.Join(dir, "gvsd.sock")
	cfg := fmt.Sprintf(`socket: %s
metrics: ""
log: {level: warn, format: console}
local_ports: true
bridges:
  - name: gvst%d
    ports:
      - {name: %s, ofport: 1, type: system, tag: 10}
`, sock, pid, lk("ha"))
	if err := os.WriteFile(filepath.Join(dir, "gvsd.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := exec.Command(filepath.Join(dir, "gvsd"), "--config", filepath.Join(dir, "gvsd.yaml"))
	var logb strings.Builder
	d.Stderr = &logb
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			d.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("gvsd log:\n%s", logb.String())
		}
	})
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	br := fmt.Sprintf("gvst%d", pid)
	ctl := func(args ...string) string {
		return run(append([]string{filepath.Join(dir, "gvsctl"), "--socket", sock}, args...)...)
	}
	// local_ports: every bridge's LOCAL port is a host interface named
	// after the bridge, from the configuration and from add-br, and it
	// goes with del-br.
	if out, err := exec.Command("ip", "link", "show", br).CombinedOutput(); err != nil {
		t.Fatalf("bridge %s has no host interface for LOCAL: %v\n%s", br, err, out)
	}
	extra := fmt.Sprintf("gvsx%d", pid)
	ctl("add-br", extra)
	if out, err := exec.Command("ip", "link", "show", extra).CombinedOutput(); err != nil {
		t.Fatalf("add-br %s made no host interface: %v\n%s", extra, err, out)
	}
	ctl("del-br", extra)
	if err := exec.Command("ip", "link", "show", extra).Run(); err == nil {
		t.Errorf("del-br %s left its host interface behind", extra)
		exec.Command("ip", "link", "del", extra).Run()
	}
	ctl("add-port", br, lk("tb"), "type=tap", "ofport=2", "tag=10")
	run("ip", "link", "set", lk("tb"), "netns", ns("b"))
	run(in(ns("b"), "sysctl", "-qw", "net.ipv6.conf."+lk("tb")+".disable_ipv6=1")...)
	addr("b", lk("tb"), "10.200.90.2")
	if afxdp {
		ctl("add-port", br, lk("hc"), "type=afxdp", "ofport=3", "tag=10")
	}

	ping := func(from, to string) {
		run(in(ns(from), "ping", "-c", "3", "-i", "0.2", "-W", "2", to)...)
	}
	ping("a", "10.200.90.2")
	ping("b", "10.200.90.1")
	if afxdp {
		ping("c", "10.200.90.1")
		ping("b", "10.200.90.3")
	}

	// dump-ports against the kernel counters of the namespace ends.
	ends := map[int][2]string{1: {ns("a"), lk("na")}, 2: {ns("b"), lk("tb")}}
	if afxdp {
		ends[3] = [2]string{ns("c"), lk("nc")}
	}
	kstat := func(n, ifname, c string) uint64 {
		v, _ := strconv.ParseUint(strings.TrimSpace(run(in(n, "cat", "/sys/class/net/"+ifname+"/statistics/"+c)...)), 10, 64)
		return v
	}
	re := regexp.MustCompile(`port +(\d+): rx pkts=(\d+).*\n +tx pkts=(\d+)`)
	var mismatch string
	for try := 0; try < 20; try++ {
		time.Sleep(50 * time.Millisecond)
		mismatch = ""
		dump := ctl("dump-ports", br)
		seen := 0
		for _, m := range re.FindAllStringSubmatch(dump, -1) {
			no, _ := strconv.Atoi(m[1])
			e, ok := ends[no]
			if !ok {
				continue
			}
			seen++
			rx, _ := strconv.ParseUint(m[2], 10, 64)
			tx, _ := strconv.ParseUint(m[3], 10, 64)
			ktx, krx := kstat(e[0], e[1], "tx_packets"), kstat(e[0], e[1], "rx_packets")
			if rx != ktx || tx != krx {
				mismatch += fmt.Sprintf("port %d: dump-ports rx %d tx %d, kernel %s tx %d rx %d\n", no, rx, tx, e[1], ktx, krx)
			}
		}
		if seen != len(ends) {
			mismatch += fmt.Sprintf("dump-ports lists %d of our %d ports:\n%s", seen, len(ends), dump)
		}
		if mismatch == "" {
			break
		}
	}
	if mismatch != "" {
		t.Error(mismatch)
	}

	if afxdp {
		ctl("del-port", br, lk("hc"))
		if out := run("ip", "link", "show", "dev", lk("hc")); strings.Contains(out, "xdp") {
			t.Errorf("XDP program left on %s after del-port:\n%s", lk("hc"), out)
		}
	}
	ctl("del-port", br, lk("tb"))
	if err := exec.Command("ip", in(ns("b"), "ip", "link", "show", lk("tb"))[1:]...).Run(); err == nil {
		t.Errorf("tap %s still exists after del-port", lk("tb"))
	}
}

// TestNetPortsClose: each netPorts has its own polling threads, started on
// first use, and Close stops them (and only them); opening after Close
// fails.
func TestNetPortsClose(t *testing.T) {
	base := pmdThreads()
	a, b := &netPorts{pmds: 2}, &netPorts{pmds: 3}
	pa, err := a.threads()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.threads()
	if err != nil {
		t.Fatal(err)
	}
	if pa == pb {
		t.Fatal("two netPorts share one poller")
	}
	if again, _ := a.threads(); again != pa {
		t.Fatal("threads started twice for one netPorts")
	}
	waitThreads(t, base+5)
	a.Close()
	waitThreads(t, base+3)
	if _, err := a.threads(); err == nil {
		t.Fatal("threads after Close succeeded")
	}
	if _, err := a.open(config.Port{Name: "x", Type: "tap"}); err == nil {
		t.Fatal("open after Close succeeded")
	}
	a.Close() // idempotent
	b.Close()
	waitThreads(t, base)
}

// pmdThreads counts the goroutines running a polling thread's loop.
func pmdThreads() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "netdev/pmd.(*thread).run(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// waitThreads waits up to a second for n polling threads to be running.
func waitThreads(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for pmdThreads() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d polling threads, want %d", pmdThreads(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
