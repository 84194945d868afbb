package netdev_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/netdev"
)

// TestAFXDPCloseDetaches opens an afxdp port in each attach mode and
// checks that Close leaves no XDP program on the interface.
func TestAFXDPCloseDetaches(t *testing.T) {
	needRoot(t)
	if err := netdev.AFXDPSupported(); err != nil {
		t.Skipf("AF_XDP unavailable: %v", err)
	}
	e := vethEndpoint(t, "10.200.30.1/24", "")
	for _, mode := range []netdev.XDPMode{netdev.XDPNative, netdev.XDPGeneric} {
		d, err := netdev.OpenAFXDP(e.hostIf, netdev.AFXDPConfig{Mode: mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if got, _ := d.Mode(); got != mode {
			t.Errorf("asked for %s, attached %s", mode, got)
		}
		if out := sh(t, "ip", "link", "show", "dev", e.hostIf); !strings.Contains(out, "xdp") {
			t.Errorf("%s: no XDP program while open:\n%s", mode, out)
		}
		d.Close()
		if out := sh(t, "ip", "link", "show", "dev", e.hostIf); strings.Contains(out, "xdp") {
			t.Errorf("%s: XDP program left after Close:\n%s", mode, out)
		}
	}
}

// TestAFXDPPrivileges opens an afxdp port from a process without
// CAP_NET_RAW, CAP_IPC_LOCK and CAP_SYS_RESOURCE and a 64 KiB
// RLIMIT_MEMLOCK: the error must name exactly what is missing.
func TestAFXDPPrivileges(t *testing.T) {
	needRoot(t)
	if err := netdev.AFXDPSupported(); err != nil {
		t.Skipf("AF_XDP unavailable: %v", err)
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to drop capabilities")
	}
	e := vethEndpoint(t, "10.200.31.1/24", "")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--bounding-set", "-net_raw,-ipc_lock,-sys_resource", "--", self)
	cmd.Env = append(os.Environ(), "GVST_HELPER=afxdp-open", "GVST_IF="+e.hostIf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{"CAP_NET_RAW", "CAP_IPC_LOCK or RLIMIT_MEMLOCK"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error %q does not name %s", strings.TrimSpace(string(out)), want)
		}
	}
	if strings.Contains(string(out), "CAP_BPF") || strings.Contains(string(out), "CAP_NET_ADMIN") {
		t.Errorf("error %q names a capability the process has", strings.TrimSpace(string(out)))
	}
	if o := sh(t, "ip", "link", "show", "dev", e.hostIf); strings.Contains(o, "xdp") {
		t.Errorf("failed open left an XDP program:\n%s", o)
	}
	t.Logf("unprivileged open: %s", strings.TrimSpace(string(out)))
}
