package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// isoTime is zap's ISO8601TimeEncoder layout.
const isoTime = "2006-01-02T15:04:05.000Z0700"

// startJSONDaemon starts gvsd as startDaemon does, but logging JSON at
// info level: what an operator's default log holds.
func startJSONDaemon(t *testing.T, dc daemonConfig) *daemon {
	t.Helper()
	if dc.dir == "" {
		dc.dir = t.TempDir()
	}
	cfgPath, sock, metrics := writeConfig(t, dc)
	body, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.Replace(string(body), "log: {level: debug, format: console}", "log: {level: info, format: json}", 1))
	if err := os.WriteFile(cfgPath, body, 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, dir: dc.dir, sock: sock, metrics: metrics, cfgPath: cfgPath}
	d.start()
	return d
}

// logLines parses gvsd's JSON log, failing on a line that is not JSON.
func (d *daemon) logLines() []map[string]any {
	d.t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(d.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			d.t.Fatalf("log line is not JSON: %v\n%s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// auditLine waits for the audit line of method whose fields include want
// (compared as printed), failing the test after a deadline.
func (d *daemon) auditLine(method string, want map[string]string) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range d.logLines() {
			if m["msg"] != "audit" || m["method"] != method {
				continue
			}
			ok := true
			for k, v := range want {
				ok = ok && fmt.Sprint(m[k]) == v
			}
			if ok {
				return m
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no audit line for %s with %v in the log:\n%s", method, want, d.log.String())
		}
		time.Sleep(10 * time.Millisecond) // the log reaches us through a pipe
	}
}

// TestAuditTrail: at info level every change is logged with the caller's
// uid and its result, and so is every refused caller; read-only calls
// are not; a flow file is summarised by its length. Timestamps are
// ISO-8601.
func TestAuditTrail(t *testing.T) {
	needRootCI(t, "runs gvsctl as a non-root member of socket_group")
	const nobody = 65534
	dir, err := os.MkdirTemp("", "gvs-e2e-audit-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { // the member must reach the socket
		t.Fatal(err)
	}
	d := startJSONDaemon(t, daemonConfig{dir: dir, group: "4242"})
	member := as(nobody, 4242)
	flowFile := filepath.Join(dir, "flows.txt")
	var flows strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&flows, "priority=%d,in_port=1,actions=drop\n", i+1)
	}
	if err := os.WriteFile(flowFile, []byte(flows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add-br", "br-m"}, {"add-flows", "br-m", flowFile}, {"dump-flows", "br-m"}} {
		if _, errOut, err := runGvsctl(d.sock, member, args...); err != nil {
			t.Fatalf("member: gvsctl %v: %v\n%s", args, err, errOut)
		}
	}
	if _, _, err := runGvsctl(d.sock, member, "del-br", "br-nope"); err == nil {
		t.Fatal("del-br of a missing bridge succeeded")
	}
	// A caller outside the group, let in by the file mode, is refused by
	// gvsd: that is logged too, even for a read-only call.
	if err := os.Chmod(d.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runGvsctl(d.sock, as(nobody, nobody), "dump-flows", "br-m"); err == nil {
		t.Fatal("an outsider's dump-flows succeeded")
	}

	d.auditLine("/gvs.v1.Switch/AddBridge", map[string]string{"level": "info", "uid": "65534", "gid": "4242", "result": "ok", "request": `name="br-m"`})
	mod := d.auditLine("/gvs.v1.Flows/StreamModFlows", map[string]string{"level": "info", "uid": "65534", "result": "ok"})
	if req := fmt.Sprint(mod["request"]); !strings.Contains(req, "flows=[2000]") || len(req) > 400 {
		t.Errorf("ModFlows request summary: %q, want flows=[2000] and no flow text", req)
	}
	d.auditLine("/gvs.v1.Switch/DelBridge", map[string]string{"level": "info", "uid": "65534", "result": "NotFound"})
	refused := d.auditLine("/gvs.v1.Flows/StreamDumpFlows", map[string]string{"level": "warn", "uid": "65534", "gid": "65534", "result": "PermissionDenied"})
	if pid, ok := refused["pid"].(float64); !ok || pid <= 0 {
		t.Errorf("refused call: no caller pid: %v", refused)
	}
	for _, m := range d.logLines() {
		if m["msg"] == "audit" && m["method"] == "/gvs.v1.Flows/StreamDumpFlows" && m["result"] == "ok" {
			t.Errorf("a read-only call is audited at info level: %v", m)
		}
		ts, ok := m["ts"].(string)
		if _, err := time.Parse(isoTime, ts); !ok || err != nil {
			t.Errorf("log timestamp %v (%T) is not ISO-8601: %v", m["ts"], m["ts"], err)
		}
	}
}

// TestConsoleLogISO8601: the console encoder writes ISO-8601 times too.
func TestConsoleLogISO8601(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0")
	first, _, _ := strings.Cut(d.log.String(), "\n")
	ts, _, _ := strings.Cut(first, "\t")
	if _, err := time.Parse(isoTime, ts); err != nil {
		t.Errorf("console log line does not start with an ISO-8601 time: %v\n%s", err, first)
	}
}

// TestVersion: the binaries `make build` produces report git describe;
// a plain go build reports the VCS revision Go stamped, and says "dev"
// only when there is none.
func TestVersion(t *testing.T) {
	describe, err := exec.Command("git", "-C", repoRoot, "describe", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not a git checkout (git describe: %v): no version to compare with", err)
	}
	want := strings.TrimSpace(string(describe))
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := t.TempDir()
	mk := exec.Command("make", "-C", repoRoot, "build", "BIN="+bin, "GO="+goTool)
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	for _, name := range []string{"gvsd", "gvsctl"} {
		out, err := exec.Command(filepath.Join(bin, name), "--version").CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != name+" (gvs) "+want {
			t.Errorf("make build's %s --version = %q, %v; want %q", name, got, err, name+" (gvs) "+want)
		}
	}
	// The binaries TestMain built without -ldflags.
	for _, path := range []string{gvsdBin, gvsctlBin} {
		out, err := exec.Command(path, "--version").Output()
		if err != nil {
			t.Fatalf("%s --version: %v", path, err)
		}
		got := strings.TrimSpace(string(out))
		info, _ := exec.Command(goTool, "version", "-m", path).Output()
		rev := regexp.MustCompile(`vcs\.revision=([0-9a-f]{12})`).FindStringSubmatch(string(info))
		switch {
		case rev != nil && !strings.Contains(got, " "+rev[1]):
			t.Errorf("%s --version = %q, want the stamped revision %s", path, got, rev[1])
		case rev == nil && !strings.HasSuffix(got, " dev"):
			t.Errorf("%s --version = %q without a VCS stamp, want dev", path, got)
		}
	}
}
