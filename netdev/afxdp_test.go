package netdev_test

import (
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
