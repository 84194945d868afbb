package e2e

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/gvs-project/gvs/config"
)

func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("needs root (CI runs the suite as root): %s", why)
	}
}

// as runs gvsctl with the given uid, gid and no supplementary groups.
func as(uid, gid uint32) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}}
}

// TestPermission checks who may use the control socket: root and members
// of socket_group, nobody else.
func TestPermission(t *testing.T) {
	needRoot(t, "runs gvsctl as another uid")
	const group = 4242 // a gid no account has: membership comes only from the process credentials
	const nobody = 65534
	// A directory every uid may traverse (t.TempDir is 0700), so that what
	// refuses the caller is the socket, not its directory.
	dir, err := os.MkdirTemp("", "gvs-e2e-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, daemonConfig{dir: dir, group: "4242"})
	d.ctl("add-br", "br-int")

	fi, err := os.Stat(d.sock)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || st.Gid != group {
		t.Errorf("socket mode %v gid %d, want 0660 gid %d", fi.Mode().Perm(), st.Gid, group)
	}

	// An outsider is stopped by the socket's mode, and told so (not that
	// gvsd is not running).
	_, errOut, err := runGvsctl(d.sock, as(nobody, nobody), "show")
	if exitCode(err) != 1 || !strings.Contains(errOut, "permission denied on "+d.sock) || !strings.Contains(errOut, "root or as a member of the socket's group") {
		t.Errorf("outsider, socket mode 0660: %v\n%s", err, errOut)
	}

	// Even when the file mode lets everyone connect, gvsd checks the
	// caller's credentials (SO_PEERCRED) on every call.
	if err := os.Chmod(d.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"show"}, {"add-br", "br-evil"}, {"dump-flows", "br-int"}, {"capture", "br-int", "LOCAL", "-c", "1"}} {
		_, errOut, err = runGvsctl(d.sock, as(nobody, nobody), args...)
		if exitCode(err) != 1 || !strings.Contains(errOut, "not authorised: permission denied: uid 65534 (gid 65534) is neither root nor a member of the socket's group (gid 4242)") {
			t.Errorf("outsider, socket mode 0666, %s: %v\n%s", args, err, errOut)
		}
	}
	if got := d.ctl("list-br"); got != "br-int\n" {
		t.Errorf("after the refused calls: list-br = %q", got)
	}

	// A member of the group is admitted (socket back to 0660).
	if err := os.Chmod(d.sock, 0o660); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runGvsctl(d.sock, as(nobody, group), "add-br", "br-member")
	if err != nil {
		t.Fatalf("group member: %v\n%s", err, errOut)
	}
	if out, _, err = runGvsctl(d.sock, as(nobody, group), "list-br"); err != nil || out != "br-int\nbr-member\n" {
		t.Errorf("group member list-br: %q, %v", out, err)
	}
	// So is a process that has the group among its supplementary groups
	// only (as after login through LDAP): no account lists it in
	// /etc/group, gvsd learns it from the kernel (SO_PEERGROUPS).
	supp := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{group}}}
	if out, errOut, err := runGvsctl(d.sock, supp, "list-br"); err != nil || out != "br-int\nbr-member\n" {
		t.Errorf("supplementary group member list-br: %q, %v\n%s", out, err, errOut)
	}
}

// TestQuickstart follows the README: `sudo ./bin/gvsd` with the embedded
// default configuration, then the "first five minutes" commands with
// gvsctl on the default socket.
func TestQuickstart(t *testing.T) {
	needRoot(t, "the default socket is /run/gvs/gvsd.sock")
	sock := config.DefaultSocket
	if c, err := net.Dial("unix", sock); err == nil {
		c.Close()
		t.Skipf("a gvsd already serves %s", sock)
	}
	if l, err := net.Listen("tcp", config.DefaultMetrics); err != nil {
		t.Skipf("the default metrics address %s is taken: %v", config.DefaultMetrics, err)
	} else {
		l.Close()
	}
	// gvsd creates /run/gvs; remove it again if it was not there (this
	// cleanup runs after the one that stops gvsd).
	if _, err := os.Stat(filepath.Dir(sock)); os.IsNotExist(err) {
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(sock)) })
	} else {
		t.Cleanup(func() { os.Remove(sock + ".lock") })
	}
	d := &daemon{t: t, dir: t.TempDir(), sock: sock, metrics: config.DefaultMetrics}
	d.start()
	ctl := func(args ...string) string {
		t.Helper()
		out, errOut, err := runGvsctl("", nil, args...) // no --socket: the default
		if err != nil {
			t.Fatalf("gvsctl %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return out
	}
	if got := ctl("show"); got != "gvs\n    Bridge br-int\n        fail_mode: standalone\n        Port br-int\n            Interface br-int\n                type: internal\n" {
		t.Errorf("gvsctl show on the default configuration:\n%s", got)
	}
	// The README's first five minutes, with the pcap files in a temp dir.
	vm1, vm2 := filepath.Join(d.dir, "vm1.pcap"), filepath.Join(d.dir, "vm2.pcap")
	ctl("add-br", "br-test", "fail_mode=secure")
	ctl("add-port", "br-int", "vm1", "type=pcap", "ofport=1", "options:tx="+vm1)
	ctl("add-port", "br-int", "vm2", "type=pcap", "ofport=2", "options:tx="+vm2)
	ctl("add-flow", "br-int", "priority=10,in_port=1,actions=output:2")
	ctl("packet-out", "br-int", "in_port=vm1", "ffffffffffff020000000001"+"88b5"+strings.Repeat("00", 46))
	flows := ctl("dump-flows", "br-int")
	// (idle_age counts seconds, and a loaded machine may take one.)
	if !regexp.MustCompile(`(?m)n_packets=1, n_bytes=60, idle_age=\d+, priority=10,in_port=1 actions=output:2$`).MatchString(flows) ||
		!regexp.MustCompile(`(?m)n_packets=0, n_bytes=0, idle_age=\d+, priority=0 actions=NORMAL$`).MatchString(flows) {
		t.Errorf("dump-flows br-int:\n%s", flows)
	}
	if n := len(readPcap(t, vm2)); n != 1 {
		t.Errorf("vm2 sent %d frames, want 1", n)
	}
	if err := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("gvsd after SIGTERM: %v", err)
	}
}
