package e2e

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gvs-project/gvs/internal/ovstest"
)

// ofctlFrame is a 60-byte broadcast frame: its pcap record (16-byte
// header + 60) after the 24-byte file header makes exactly 100 bytes.
var ofctlFrame = func() []byte {
	f := make([]byte, 60)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5})
	return f
}()

// startOfctlBridge starts gvsd with br0: pcap ports p1 (1) and p2 (2, with
// a tx file), and a flow from p1 to p2.
func startOfctlBridge(t *testing.T) *daemon {
	t.Helper()
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1")
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2", "options:tx="+txPath(d.dir, "p2"))
	d.ctl("add-flow", "br0", "priority=10,in_port=1,actions=output:2")
	return d
}

// TestCaptureChecksArgumentsFirst: a capture of a port or bridge that
// does not exist, or with a bad direction, fails with a message naming
// the culprit and writes nothing to stdout (before, a pcap header went
// out first, and `capture | tcpdump -r -` saw a valid empty capture).
func TestCaptureChecksArgumentsFirst(t *testing.T) {
	d := startOfctlBridge(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"capture", "br0", "nope"}, "nope"},
		{[]string{"capture", "br-nope", "p1"}, "br-nope"},
		{[]string{"capture", "br0", "p1", "--direction", "sideways"}, "sideways"},
	} {
		out, errOut, err := d.gvsctlErr(c.args...)
		if err == nil || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: err %v, %d bytes on stdout, stderr %q; want a failure naming %q and no output", c.args, err, len(out), errOut, c.want)
		}
	}
	// -w FILE is not created for a refused capture either.
	file := d.dir + "/refused.pcap"
	if _, _, err := d.gvsctlErr("capture", "br0", "nope", "-w", file); err == nil {
		t.Error("capture of a missing port to a file succeeded")
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("refused capture created %s: %v", file, err)
	}
}

// TestCaptureEndsWhenReaderGoes: `gvsctl capture BR PORT | head -c 100`
// must end once head has its 100 bytes and exits, even when no further
// frame comes to fail a write (before, gvsctl waited for frames forever,
// as it did after tcpdump -c 1 exited).
func TestCaptureEndsWhenReaderGoes(t *testing.T) {
	d := startOfctlBridge(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(gvsctlBin, "--socket", d.sock, "capture", "br0", "p2", "--direction", "tx")
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close() // only gvsctl holds the write end
	done, exited := make(chan error, 1), make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// The header comes once the capture is attached; then one frame.
	buf := make([]byte, 100)
	if _, err := io.ReadFull(r, buf[:24]); err != nil {
		t.Fatalf("reading the pcap header: %v (%s)", err, errOut.String())
	}
	d.ctl("packet-out", "br0", "in_port=1", hex.EncodeToString(ofctlFrame))
	if _, err := io.ReadFull(r, buf[24:]); err != nil {
		t.Fatalf("reading the frame: %v (%s)", err, errOut.String())
	}
	if !bytes.Equal(buf[100-60:], ofctlFrame) {
		t.Errorf("captured frame % x, want % x", buf[40:], ofctlFrame)
	}
	r.Close() // what head -c 100 does when it has its bytes
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("capture ended with %v: %s", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "went away") {
			t.Errorf("capture's message: %q", errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("capture still running 10s after its reader went away")
	}
}

// ofctlFlows is the flow file both switches load for the comparisons.
const ofctlFlows = `priority=10,in_port=1,actions=output:2
cookie=0x5,priority=20,ip,actions=drop
cookie=0x6,priority=30,tcp,tp_dst=80,actions=drop
cookie=0x6,priority=30,tcp,tp_dst=22,actions=output:1
cookie=0x7,idle_timeout=60,priority=40,udp,actions=drop
table=1,priority=5,actions=drop
`

// ofctlFlows2 differs from ofctlFlows: one flow gone, one with other
// actions, one with another cookie, one new.
const ofctlFlows2 = `priority=10,in_port=1,actions=output:2
cookie=0x5,priority=20,ip,actions=output:1
cookie=0x9,priority=30,tcp,tp_dst=80,actions=drop
cookie=0x7,idle_timeout=60,priority=40,udp,actions=drop
table=1,priority=5,actions=drop
table=2,priority=1,arp,actions=normal
`

// ofctlSwitch runs one switch's ofctl and appctl verbs: gvsctl, or
// ovs-ofctl/ovs-appctl. It returns stdout, and the exit code.
type ofctlSwitch struct {
	name   string
	ofctl  func(args ...string) (string, int)
	appctl func(args ...string) (string, int)
}

// writeFile writes text to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ofctlCases are the verbs whose output gvs and OVS must agree on for the
// same bridge and flows, each normalised where the switches rightly
// differ (xids, port addresses, OVS's hidden tables and features).
func ofctlCases(t *testing.T, sw ofctlSwitch, file1, file2 string) map[string]string {
	t.Helper()
	got := map[string]string{}
	must := func(out string, code int, args ...string) string {
		t.Helper()
		if code != 0 {
			t.Fatalf("%s %v: exit %d\n%s", sw.name, args, code, out)
		}
		return out
	}
	of := func(args ...string) string {
		t.Helper()
		out, code := sw.ofctl(args...)
		return must(out, code, args...)
	}
	// A cookie without a mask is refused by both (exit 1).
	for _, m := range []string{"", "table=1", "cookie=0x5/-1", "cookie=0x6/0xff", "cookie=0x5/0", "cookie=0x5", "tcp", "tcp,tp_dst=80"} {
		args := []string{"dump-aggregate", "br0"}
		if m != "" {
			args = append(args, m)
		}
		out, code := sw.ofctl(args...)
		got["aggregate "+m] = fmt.Sprintf("exit %d %s", code, xidRE.ReplaceAllString(out, "(xid)"))
	}
	for _, s := range [][]string{{"--sort"}, {"--rsort"}, {"--sort=tp_dst"}, {"--rsort=tp_dst"}, {"--sort=priority", "--rsort=tp_dst"}} {
		out := of(append([]string{"dump-flows", "--no-stats", "br0"}, s...)...)
		got["sort "+strings.Join(s, " ")] = sortOrder(out, s)
	}
	for _, pair := range [][2]string{{"br0", file1}, {"br0", file2}, {file2, "br0"}} {
		out, code := sw.ofctl("diff-flows", pair[0], pair[1])
		got[fmt.Sprintf("diff-flows %s %s", filepath.Base(pair[0]), filepath.Base(pair[1]))] = fmt.Sprintf("exit %d\n%s", code, sortedLines(out))
	}
	show := of("show", "br0")
	got["show ports"] = portBlocks(show)
	got["show config"] = lineWith(show, "OFPT_GET_CONFIG_REPLY")
	got["dump-ports-desc"] = portBlocks(of("dump-ports-desc", "br0"))
	of("set-frags", "br0", "nx-match")
	got["get-frags after set nx-match"] = of("get-frags", "br0")
	of("set-frags", "br0", "normal")
	_, code := sw.ofctl("set-frags", "br0", "sideways")
	got["set-frags sideways fails"] = fmt.Sprint(code != 0)
	for _, spec := range []string{"dbg", "ANY:info", "bogus:dbg", "info:bogus"} {
		_, code := sw.appctl("vlog/set", spec)
		got["vlog/set "+spec+" ok"] = fmt.Sprint(code == 0)
	}
	mem, code := sw.appctl("memory/show")
	got["memory/show shape"] = fmt.Sprint(code == 0 && memoryRE.MatchString(mem))
	return got
}

var (
	xidRE    = regexp.MustCompile(`\(xid=0x[0-9a-f]+\)`)
	addrRE   = regexp.MustCompile(`addr:[0-9a-f:]{17}`)
	memoryRE = regexp.MustCompile(`^([a-z][a-zA-Z0-9_-]*:\d+ )*[a-z][a-zA-Z0-9_-]*:\d+\n$`)
	prioRE   = regexp.MustCompile(`priority=(\d+)`)
	tpDstRE  = regexp.MustCompile(`tp_dst=(\d+)`)
)

// sortOrder reduces a sorted dump to what its sort keys fix: the key
// values line by line (priority, then tp_dst when sorted by it; ties are
// in no particular order in OVS), then the flows as a set.
func sortOrder(dump string, keys []string) string {
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(dump), "\n") {
		if strings.Contains(l, "reply") {
			continue
		}
		var k []string
		for _, s := range keys {
			re := prioRE
			if strings.HasSuffix(s, "tp_dst") {
				re = tpDstRE
			}
			m := re.FindStringSubmatch(l)
			if m == nil {
				k = append(k, "-")
			} else {
				k = append(k, m[1])
			}
		}
		order = append(order, strings.Join(k, "/"))
	}
	return strings.Join(order, " ") + "\n" + sortedLines(dump)
}

// sortedLines is text's non-header lines, trimmed and sorted.
func sortedLines(text string) string {
	var ls []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "reply") {
			ls = append(ls, l)
		}
	}
	sort.Strings(ls)
	return strings.Join(ls, "\n")
}

// portBlocks is the port descriptions of show or dump-ports-desc, with
// addresses blanked (OVS's dummy ports have made-up ones, gvs's pcap ports
// none).
func portBlocks(text string) string {
	var ls []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, " ") {
			ls = append(ls, addrRE.ReplaceAllString(l, "addr:X"))
		}
	}
	return strings.Join(ls, "\n")
}

// lineWith is the first line of text that contains s.
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return xidRE.ReplaceAllString(l, "(xid)")
		}
	}
	return ""
}

// TestOfctlVerbsMatchOVS runs show, dump-ports-desc, dump-aggregate,
// dump-flows --sort/--rsort, diff-flows, set-frags/get-frags, vlog/set
// and memory/show on gvs and, on the same bridge and flows, on Open
// vSwitch, and requires the same answers.
func TestOfctlVerbsMatchOVS(t *testing.T) {
	dir := t.TempDir()
	file1 := writeFile(t, dir, "flows1.txt", ofctlFlows)
	file2 := writeFile(t, dir, "flows2.txt", ofctlFlows2)
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1")
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2")
	d.ctl("add-flows", "br0", file1)
	gvsRun := func(args ...string) (string, int) {
		out, _, err := d.gvsctlErr(args...)
		return out, exitCode(err)
	}
	gvs := ofctlCases(t, ofctlSwitch{name: "gvsctl", ofctl: gvsRun, appctl: gvsRun}, file1, file2)
	// What gvs must print whether or not OVS is here to compare with.
	for k, want := range map[string]string{
		"aggregate ":                   "exit 0 NXST_AGGREGATE reply (xid): packet_count=0 byte_count=0 flow_count=6\n",
		"aggregate cookie=0x6/0xff":    "exit 0 NXST_AGGREGATE reply (xid): packet_count=0 byte_count=0 flow_count=2\n",
		"aggregate cookie=0x5":         "exit 1 ",
		"get-frags after set nx-match": "nx-match\n",
		"vlog/set bogus:dbg ok":        "false",
		"memory/show shape":            "true",
	} {
		if gvs[k] != want {
			t.Errorf("gvs %s = %q, want %q", k, gvs[k], want)
		}
	}
	if !strings.HasPrefix(gvs["sort --sort=tp_dst"], "22 80 - - - -\n") {
		t.Errorf("gvs --sort=tp_dst order: %q", gvs["sort --sort=tp_dst"])
	}
	o := ovsBridge(t, file1)
	ovsRun := func(run func(...string) (string, error)) func(...string) (string, int) {
		return func(args ...string) (string, int) {
			out, err := run(args...)
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("%v did not run: %v", args, err)
			}
			return out, exitCode(err)
		}
	}
	ovs := ofctlCases(t, ofctlSwitch{name: "ovs", ofctl: ovsRun(o.Ofctl), appctl: ovsRun(o.Appctl)}, file1, file2)
	for _, k := range slices.Sorted(maps.Keys(ovs)) {
		if gvs[k] != ovs[k] {
			t.Errorf("%s:\ngvs: %q\novs: %q", k, gvs[k], ovs[k])
		}
	}
}

// ctFlows send IP through ct(table=1); table 1 outputs established
// traffic to port 2 and drops new traffic.
const ctFlows = `table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=0,priority=10,in_port=1,dl_type=0x88b5,actions=output:2
table=1,priority=10,ct_state=+trk+est,ip,actions=output:2
table=1,priority=10,ct_state=+trk+new,ip,actions=drop
`

// TestTraceOVSForms: trace takes OVS's argument order (BRIDGE in_port=N
// HEX, which gvs refused with "accepts 2 arg(s)") and --ct-next, and picks
// the rules Open vSwitch's ofproto/trace picks for the same flows.
func TestTraceOVSForms(t *testing.T) {
	file := writeFile(t, t.TempDir(), "ct.flows", ctFlows)
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	d.ctl("add-port", "br0", "p1", "type=pcap", "ofport=1")
	d.ctl("add-port", "br0", "p2", "type=pcap", "ofport=2")
	d.ctl("add-flows", "br0", file)
	frame := hex.EncodeToString(ofctlFrame)
	cases := []struct {
		name string
		args []string
		want string // a rule and its actions, as both print them
	}{
		{"packet last", []string{"br0", "in_port=1", frame}, " 0. in_port=1,dl_type=0x88b5, priority 10\n    output:2\n"},
		{"flow", []string{"br0", "in_port=1,ip"}, " 1. ct_state=+new+trk,ip, priority 10\n    drop\n"},
		{"ct-next est", []string{"br0", "in_port=1,ip", "--ct-next", "trk,est"}, " 1. ct_state=+est+trk,ip, priority 10\n    output:2\n"},
	}
	for _, c := range cases {
		out := d.ctl(append([]string{"trace"}, c.args...)...)
		if !strings.Contains(out, c.want) {
			t.Errorf("gvs trace %s: no %q in\n%s", c.name, c.want, out)
		}
	}
	// Refused with a reason: fields besides in_port with a packet, a
	// ct_state flag that does not exist.
	for _, args := range [][]string{{"br0", "in_port=1,ip", frame}, {"br0", "in_port=1,ip", "--ct-next", "trk,bogus"}} {
		if _, errOut, err := d.gvsctlErr(append([]string{"trace"}, args...)...); err == nil || errOut == "" {
			t.Errorf("trace %v: %v %q, want a refusal", args, err, errOut)
		}
	}
	o := ovsBridge(t, file)
	for _, c := range cases {
		out, err := o.Appctl(append([]string{"ofproto/trace"}, c.args...)...)
		if err != nil {
			t.Fatalf("ovs trace %s: %v", c.name, err)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("ovs trace %s: no %q in\n%s", c.name, c.want, out)
		}
	}
}

// TestDaemonVerbs: vlog/set changes what gvsd logs at once, coverage/show
// counts a drop and memory/show the flows, /healthz answers, and
// dump-ports-desc PORT describes that port only.
func TestDaemonVerbs(t *testing.T) {
	d := startOfctlBridge(t)
	// The test configuration logs at debug: flow-mods are logged.
	d.ctl("vlog/set", "warn")
	if got := d.ctl("vlog/list"); !regexp.MustCompile(`(?m)^gvsd +WARN$`).MatchString(got) {
		t.Errorf("vlog/list after vlog/set warn:\n%s", got)
	}
	d.ctl("add-flow", "br0", "priority=7,dl_type=0x0806,actions=drop")
	d.ctl("vlog/set", "gvsd:dbg")
	d.ctl("add-flow", "br0", "priority=8,dl_type=0x0806,actions=drop")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.log.String(), "priority=8,arp") {
		if time.Now().After(deadline) {
			t.Fatalf("no debug line for the flow added after vlog/set dbg:\n%s", d.log.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the log
	}
	if strings.Contains(d.log.String(), "priority=7,arp") {
		t.Errorf("a debug line was logged at level warn")
	}
	if _, errOut, err := d.gvsctlErr("vlog/set", "gvsd:loud"); err == nil || !strings.Contains(errOut, "loud") {
		t.Errorf("vlog/set gvsd:loud: %v %q", err, errOut)
	}

	// One frame from p2 misses every flow: a table_miss drop.
	d.ctl("packet-out", "br0", "in_port=2", hex.EncodeToString(ofctlFrame))
	if got := d.ctl("coverage/show"); !regexp.MustCompile(`(?m)^drop_table_miss +total: 1$`).MatchString(got) {
		t.Errorf("coverage/show after one table miss:\n%s", got)
	}
	d.ctl("packet-out", "br0", "in_port=1", hex.EncodeToString(ofctlFrame))
	if got := d.ctl("dump-aggregate", "br0", "in_port=1"); got != "NXST_AGGREGATE reply (xid=0x4): packet_count=1 byte_count=60 flow_count=1\n" {
		t.Errorf("dump-aggregate after one frame: %q", got)
	}
	if got := d.ctl("memory/show"); !strings.Contains(got, "bridges:1 ") || !strings.Contains(got, " ports:3 ") || !strings.Contains(got, " rules:3\n") {
		t.Errorf("memory/show: %q", got)
	}
	if got := d.ctl("dump-ports-desc", "br0", "p2"); got != "OFPST_PORT_DESC reply (xid=0x2):\n 2(p2): addr:00:00:00:00:00:00\n     config:     0\n     state:      0\n     speed: 0 Mbps now, 0 Mbps max\n" {
		t.Errorf("dump-ports-desc br0 p2:\n%s", got)
	}

	resp, err := http.Get("http://" + d.metrics + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}
}

// TestConfigCheck: gvsd config check validates a configuration and its
// flow files without starting (no socket appears), with the line and
// column of what is wrong.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "good.flows", "priority=10,in_port=p1,actions=output:p2\n")
	writeFile(t, dir, "bad.flows", "priority=10,in_port=p1,actions=output:p2\npriority=5,in_port=p1,actions=outptu:2\n")
	cfg := func(flows string) string {
		return fmt.Sprintf("socket: %s/gvsd.sock\nbridges:\n  - name: br0\n    flows: %s\n    ports:\n      - {name: p1, type: pcap}\n      - {name: p2, type: pcap, ofport: 7}\n", dir, flows)
	}
	cases := []struct {
		name, yaml string
		code       int
		want       string // in stdout for 0, stderr otherwise
	}{
		{"good", cfg("good.flows"), 0, "good.yaml: OK\n"},
		{"bad-flows", cfg("bad.flows"), 1, "bad.flows: line 2, column 31: unknown action \"outptu\""},
		{"bad-key", "socket: /x\nbridges:\n  - name: br0\n    bogus: 1\n", 1, "bad-key.yaml:4: bridge \"br0\": unknown key \"bogus\""},
		{"bad-yaml", "socket: [\n", 1, "bad-yaml.yaml"},
	}
	for _, c := range cases {
		path := writeFile(t, dir, c.name+".yaml", c.yaml)
		cmd := exec.Command(gvsdBin, "config", "check", path)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		text := errOut.String()
		if c.code == 0 {
			text = out.String()
		}
		if exitCode(err) != c.code || !strings.Contains(text, c.want) {
			t.Errorf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q", c.name, exitCode(err), c.code, out.String(), errOut.String(), c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "gvsd.sock")); !os.IsNotExist(err) {
		t.Errorf("config check created the socket: %v", err)
	}
}

// TestShowPortDown: show BRIDGE says what OVS's show says of a port whose
// device is missing (config PORT_DOWN, state LINK_DOWN), and once the
// interface appears, the port comes up with that interface's address.
func TestShowPortDown(t *testing.T) {
	needRootCI(t, "creates a veth for a system port")
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skipf("needs ip: %v", err)
	}
	d := startOfctlBridge(t)
	name := fmt.Sprintf("gvsm%d", os.Getpid()%100000)
	d.ctl("add-port", "br0", name, "type=system", "ofport=9")
	want := " 9(" + name + "): addr:00:00:00:00:00:00\n     config:     PORT_DOWN\n     state:      LINK_DOWN\n"
	if got := d.ctl("show", "br0"); !strings.Contains(got, want) {
		t.Errorf("show br0 with %s missing: no %q in\n%s", name, want, got)
	}
	if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", name).Run() })
	for _, n := range []string{name, name + "p"} {
		if out, err := exec.Command("ip", "link", "set", n, "up").CombinedOutput(); err != nil {
			t.Fatalf("ip link set up: %v %s", err, out)
		}
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatal(err)
	}
	want = " 9(" + name + "): addr:" + ifi.HardwareAddr.String() + "\n     config:     0\n     state:      0\n"
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := d.ctl("dump-ports-desc", "br0", name)
		if strings.Contains(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dump-ports-desc after %s appeared: no %q in\n%s", name, want, got)
		}
		time.Sleep(20 * time.Millisecond) // polling the port's state
	}
}

// ovsBridge starts Open vSwitch with a secure bridge br0 of ports p1 and
// p2 (OpenFlow 1 and 2) holding the flows of file.
func ovsBridge(t *testing.T, file string) *ovstest.OVS {
	t.Helper()
	o := ovstest.Start(t)
	if err := o.AddBridge("br0", true); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"p1", "p2"} {
		if err := o.AddPort("br0", p, i+1, "", nil, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.AddFlowsFile("br0", file); err != nil {
		t.Fatal(err)
	}
	return o
}
