package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// needRootCI skips a test that needs root on a developer's machine, and
// fails it where CI=true (CI runs the suite as root).
func needRootCI(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but not root: %s", why)
		}
		t.Skipf("needs root (CI runs the suite as root): %s", why)
	}
}

// secEnv is a root gvsd whose socket group admits an unprivileged caller,
// with a standalone bridge br-int and a root-only directory outside the
// pcap directory.
type secEnv struct {
	t       *testing.T
	d       *daemon
	pcapDir string // gvsd's pcap directory (<state_dir>/pcap)
	outside string // root's files the caller must not reach
	mon     string // tx file of port mon, which NORMAL floods to
}

const (
	secGroup  = 4242 // a gid no account has (see TestPermission)
	secNobody = 65534
)

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	needRootCI(t, "gvsd runs as root and gvsctl as an unprivileged member of socket_group")
	dir, err := os.MkdirTemp("", "gvs-e2e-sec-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &secEnv{t: t, pcapDir: filepath.Join(dir, "state", "pcap"), outside: filepath.Join(dir, "root-only")}
	e.d = startDaemon(t, daemonConfig{dir: dir, group: "4242"})
	for _, p := range []string{e.pcapDir, e.outside} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.d.ctl("add-br", "br-int")
	e.mon = filepath.Join(dir, "mon.pcap")
	e.d.ctl("add-port", "br-int", "mon", "type=pcap", "options:tx="+e.mon)
	return e
}

// member runs gvsctl as uid nobody in socket_group, killed after 15 s
// (a hung gvsd must fail the test, not stall it), and says how long the
// call took.
func (e *secEnv) member(args ...string) (out, errOut string, err error, took time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsctlBin, append([]string{"--socket", e.d.sock}, args...)...)
	cmd.Env = append(os.Environ(), "GVS_SOCKET=")
	cmd.SysProcAttr = as(secNobody, secGroup)
	var o, eo bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &eo
	start := time.Now()
	err = cmd.Run()
	return o.String(), eo.String(), err, time.Since(start)
}

// refused checks that a member's call fails promptly with want in its
// message and none of leaks.
func (e *secEnv) refused(want string, leaks []string, args ...string) {
	e.t.Helper()
	_, errOut, err, took := e.member(args...)
	if err == nil || !strings.Contains(errOut, want) {
		e.t.Errorf("gvsctl %s as a member: %v (after %v), want an error with %q:\n%s", strings.Join(args, " "), err, took, want, errOut)
	}
	if took > 10*time.Second {
		e.t.Errorf("gvsctl %s took %v", strings.Join(args, " "), took)
	}
	for _, l := range leaks {
		if strings.Contains(errOut, l) {
			e.t.Errorf("gvsctl %s: the error quotes the file (%q):\n%s", strings.Join(args, " "), l, errOut)
		}
	}
}

// rootFile writes a root-owned file outside the caller's reach.
func (e *secEnv) rootFile(path string, data []byte, mode os.FileMode) {
	e.t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		e.t.Fatal(err)
	}
}

// unchanged checks a file still holds want (nil: that it does not exist).
func (e *secEnv) unchanged(path string, want []byte) {
	e.t.Helper()
	got, err := os.ReadFile(path)
	switch {
	case want == nil && !os.IsNotExist(err):
		e.t.Errorf("%s exists (%v): gvsd created it for the caller", path, err)
	case want != nil && (err != nil || !bytes.Equal(got, want)):
		e.t.Errorf("%s changed: %q, %v; want %q", path, got, err, want)
	}
}

// pcapBytes is a pcap file holding frames.
func pcapBytes(t *testing.T, frames ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// TestPcapTxConfined: a member of socket_group cannot make root create,
// append to or write through a link to any file outside the pcap
// directory; inside it a relative name works and is created 0600.
func TestPcapTxConfined(t *testing.T) {
	e := newSecEnv(t)
	cron := filepath.Join(e.outside, "crontab")
	e.rootFile(cron, []byte("precious\n"), 0o644)
	shadow := filepath.Join(e.outside, "shadow")
	e.rootFile(shadow, []byte("secret\n"), 0o600)
	if err := os.Symlink(shadow, filepath.Join(e.pcapDir, "evil.pcap")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.outside, filepath.Join(e.pcapDir, "sub")); err != nil {
		t.Fatal(err)
	}
	outsideRule := "must lie inside the pcap directory " + e.pcapDir
	for i, c := range []struct {
		name, tx, want, target string
		content                []byte // the target's content, which must stay (nil: must not exist)
	}{
		{"absolute path outside, new file", filepath.Join(e.outside, "cron.d-gvs"), outsideRule, filepath.Join(e.outside, "cron.d-gvs"), nil},
		{"absolute path outside, existing file", cron, outsideRule, cron, []byte("precious\n")},
		{"dot-dot out of the directory", e.pcapDir + "/../../root-only/dotdot", outsideRule, filepath.Join(e.outside, "dotdot"), nil},
		{"relative dot-dot", "../../root-only/reldotdot", outsideRule, filepath.Join(e.outside, "reldotdot"), nil},
		{"symlink in the directory to a root 0600 file", filepath.Join(e.pcapDir, "evil.pcap"), "symbolic link", shadow, []byte("secret\n")},
		{"symlinked parent directory", filepath.Join(e.pcapDir, "sub", "x.pcap"), "symbolic link", filepath.Join(e.outside, "x.pcap"), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.refused(c.want, nil, "add-port", "br-int", "evil"+strconv.Itoa(i), "type=pcap", "options:tx="+c.tx)
			// Were it attached, this broadcast would be flooded into it.
			e.member("packet-out", "br-int", "in_port=mon", hex.EncodeToString(seqFrame(1)))
			e.unchanged(c.target, c.content)
			if ports := e.d.ctl("list-ports", "br-int"); strings.Contains(ports, "evil") {
				t.Errorf("the refused port is listed:\n%s", ports)
			}
		})
	}
	e.t = t
	if log := e.d.log.String(); !strings.Contains(log, "pcap file refused") || !strings.Contains(log, `"uid": 65534`) {
		t.Errorf("gvsd did not log the refusals with the caller's uid:\n%s", log)
	}

	// Inside the directory a relative name works: the file is created
	// there, 0600, and receives the port's frames.
	if _, errOut, err, _ := e.member("add-port", "br-int", "vm1", "type=pcap", "options:tx=vm1.pcap"); err != nil {
		t.Fatalf("add-port inside the pcap directory: %v\n%s", err, errOut)
	}
	vm1 := filepath.Join(e.pcapDir, "vm1.pcap")
	if show := e.d.ctl("show"); !strings.Contains(show, `options: {tx="`+vm1+`"}`) {
		t.Errorf("show does not give the resolved path %s:\n%s", vm1, show)
	}
	if fi, err := os.Lstat(vm1); err != nil || fi.Mode() != 0o600 {
		t.Errorf("tx file inside the directory: %v, %v; want a 0600 regular file", fi, err)
	}
	if _, errOut, err, _ := e.member("packet-out", "br-int", "in_port=mon", hex.EncodeToString(seqFrame(2))); err != nil {
		t.Fatalf("packet-out: %v\n%s", err, errOut)
	}
	if n := len(readPcap(t, vm1)); n != 1 {
		t.Errorf("vm1.pcap holds %d frames, want the 1 flooded", n)
	}
	// Changing it to a file outside is refused and keeps the port as it was.
	e.refused(outsideRule, nil, "set-port", "vm1", "options:tx="+filepath.Join(e.outside, "moved"))
	e.unchanged(filepath.Join(e.outside, "moved"), nil)
	if show := e.d.ctl("show"); !strings.Contains(show, `options: {tx="`+vm1+`"}`) {
		t.Errorf("after the refused set-port:\n%s", show)
	}
}

// TestPcapRxConfined: a member cannot replay a pcap it may not read, and
// what gvsd says about a file never quotes it.
func TestPcapRxConfined(t *testing.T) {
	e := newSecEnv(t)
	secretFrame := seqFrame(0x5ec7e7)
	secretPcap := filepath.Join(e.outside, "secret.pcap")
	e.rootFile(secretPcap, pcapBytes(t, secretFrame), 0o600)
	if err := os.Symlink(secretPcap, filepath.Join(e.pcapDir, "link.pcap")); err != nil {
		t.Fatal(err)
	}
	notPcap := filepath.Join(e.pcapDir, "notpcap")
	e.rootFile(notPcap, []byte("SECRETBYTES-0123456789"), 0o600)
	// A valid header, then a record whose lengths are "secret" numbers.
	corrupt := filepath.Join(e.pcapDir, "corrupt.pcap")
	e.rootFile(corrupt, append(pcapBytes(t), 1, 0, 0, 0, 2, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f, 0xf0, 0xff, 0xff, 0x7f), 0o600)
	noBytes := []string{"SECR", "53454352", "Unknown magic", "2147483632", "7ffffff0"}
	for i, c := range []struct{ name, rx, want string }{
		{"root-only pcap outside the directory", secretPcap, "must lie inside the pcap directory " + e.pcapDir},
		{"symlink in the directory to it", filepath.Join(e.pcapDir, "link.pcap"), "symbolic link"},
		{"a file that is not a pcap", notPcap, "not a pcap file"},
		{"a corrupt record", corrupt, "truncated or corrupt record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.refused(c.want, noBytes, "add-port", "br-int", "spy"+strconv.Itoa(i), "type=pcap", "options:rx="+c.rx)
			if n := len(readPcap(t, e.mon)); n != 0 {
				t.Errorf("mon received %d frames: the refused rx file was replayed", n)
			}
			if ports := e.d.ctl("list-ports", "br-int"); strings.Contains(ports, "spy") {
				t.Errorf("the refused port is listed:\n%s", ports)
			}
		})
	}
	e.t = t
	// A pcap inside the directory is replayed (the check is not a refusal
	// of everything): NORMAL floods its frame to mon.
	e.rootFile(filepath.Join(e.pcapDir, "good.pcap"), pcapBytes(t, seqFrame(7)), 0o644)
	if _, errOut, err, _ := e.member("add-port", "br-int", "good", "type=pcap", "options:rx=good.pcap"); err != nil {
		t.Fatalf("add-port with rx inside the directory: %v\n%s", err, errOut)
	}
	if got := readPcap(t, e.mon); len(got) != 1 || !bytes.Equal(got[0], seqFrame(7)) {
		t.Errorf("mon after replaying good.pcap: %x", got)
	}
}

// TestPcapFIFO: a FIFO as rx or tx file is refused at once, and the
// control API keeps answering (it used to hang in open(2) holding the
// switch).
func TestPcapFIFO(t *testing.T) {
	e := newSecEnv(t)
	fifo := filepath.Join(e.pcapDir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	e.refused("not a regular file", nil, "add-port", "br-int", "f1", "type=pcap", "options:rx="+fifo)
	out, errOut, err, took := e.member("show")
	if err != nil || took > 5*time.Second || !strings.Contains(out, "Bridge br-int") {
		t.Errorf("show after the FIFO: %v after %v\n%s%s", err, took, out, errOut)
	}
	// With nobody reading, or with a reader holding it open.
	e.refused("not a regular file", nil, "add-port", "br-int", "f2", "type=pcap", "options:tx="+fifo)
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e.refused("not a regular file", nil, "add-port", "br-int", "f3", "type=pcap", "options:tx="+fifo)
	if ports := e.d.ctl("list-ports", "br-int"); ports != "mon\n" {
		t.Errorf("list-ports after the refused FIFOs: %q", ports)
	}
	// A bounded call on a live gvsd answers as usual.
	if out, errOut, err, _ := e.member("--timeout", "5s", "list-br"); err != nil || out != "br-int\n" {
		t.Errorf("list-br --timeout 5s: %q %v\n%s", out, err, errOut)
	}
}

// TestGvsctlTimeout: --timeout bounds a call to a socket that accepts
// connections but never answers, in both of its spellings, and says so.
func TestGvsctlTimeout(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "mute.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn // open, never written to
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	for _, c := range []struct {
		flag  []string
		limit string
	}{{[]string{"--timeout", "1"}, "1s"}, {[]string{"--timeout=700ms"}, "700ms"}, {[]string{"--timeout", "0.5"}, "500ms"}} {
		start := time.Now()
		_, errOut, err := runGvsctl(sock, nil, append(c.flag, "show")...)
		took := time.Since(start)
		if exitCode(err) != 1 || !strings.Contains(errOut, "the call to gvsd at "+sock+" timed out after "+c.limit) {
			t.Errorf("%s show: %v\n%s", c.flag, err, errOut)
		}
		if took > 5*time.Second {
			t.Errorf("%s show took %v", c.flag, took)
		}
	}
	for _, bad := range []string{"soon", "-1s"} {
		if _, errOut, err := runGvsctl(sock, nil, "--timeout", bad, "show"); exitCode(err) != 1 || !strings.Contains(errOut, "want a duration") {
			t.Errorf("--timeout %s: %v\n%s", bad, err, errOut)
		}
	}
}

// TestPcapStateReplayedConfined: a member's port saved in the state is
// reopened at start inside the pcap directory, as it was accepted: its
// file keeps receiving frames, and a symlink swapped in while gvsd was
// down is not followed (whether gvsd then starts without the port or
// refuses to start, the link's target stays untouched).
func TestPcapStateReplayedConfined(t *testing.T) {
	e := newSecEnv(t)
	shadow := filepath.Join(e.outside, "shadow")
	e.rootFile(shadow, []byte("secret\n"), 0o600)
	vm1 := filepath.Join(e.pcapDir, "vm1.pcap")
	if _, errOut, err, _ := e.member("add-port", "br-int", "vm1", "type=pcap", "options:tx=vm1.pcap"); err != nil {
		t.Fatalf("add-port: %v\n%s", err, errOut)
	}
	flood := func(n uint64) { e.d.ctl("packet-out", "br-int", "in_port=mon", hex.EncodeToString(seqFrame(n))) }
	flood(1)
	if err := e.d.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	e.d.start()
	flood(2)
	if n := len(readPcap(t, vm1)); n != 2 {
		t.Fatalf("vm1.pcap after a restart holds %d frames, want 2 (reopened and appended)", n)
	}
	if err := e.d.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(vm1))
	must(os.Symlink(shadow, vm1))
	log := &syncBuffer{}
	cmd := exec.Command(gvsdBin, "--config", e.d.cfgPath)
	cmd.Stdout, cmd.Stderr = log, log
	must(cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Logf("gvsd refused to start on the swapped link: %v", err)
			if !strings.Contains(log.String(), "symbolic link") {
				t.Errorf("gvsd exited (%v) without naming the link:\n%s", err, log.String())
			}
			e.unchanged(shadow, []byte("secret\n"))
			return
		default:
		}
		if _, _, err := runGvsctl(e.d.sock, nil, "show"); err == nil {
			t.Logf("gvsd started without following the swapped link")
			flood(3)
			e.unchanged(shadow, []byte("secret\n"))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gvsd neither served nor exited within 15s:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval of the socket
	}
}
