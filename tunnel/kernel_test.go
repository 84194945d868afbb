package tunnel

import (
	"context"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestFromNetlink(t *testing.T) {
	names := func(i int) string { return map[int]string{2: "eth0", 3: "br-phy"}[i] }
	_, n10, _ := net.ParseCIDR("10.1.0.0/16")
	_, n6, _ := net.ParseCIDR("fd00::/64")
	cases := []struct {
		name string
		in   netlink.Route
		want string // Route.String, "" if skipped
	}{
		{"default v4", netlink.Route{Family: netlink.FAMILY_V4, LinkIndex: 2, Gw: net.ParseIP("192.0.2.1")}, "Cached: 0.0.0.0/0 dev eth0 GW 192.0.2.1"},
		{"connected", netlink.Route{Family: netlink.FAMILY_V4, LinkIndex: 3, Dst: n10, Src: net.ParseIP("10.1.0.1"), Type: unix.RTN_UNICAST}, "Cached: 10.1.0.0/16 dev br-phy SRC 10.1.0.1"},
		{"v6 multipath", netlink.Route{Family: netlink.FAMILY_V6, Dst: n6, MultiPath: []*netlink.NexthopInfo{{LinkIndex: 2, Gw: net.ParseIP("fe80::1")}}}, "Cached: fd00::/64 dev eth0 GW fe80::1"},
		{"default v6", netlink.Route{Family: netlink.FAMILY_V6, LinkIndex: 2}, "Cached: ::/0 dev eth0"},
		{"unknown device", netlink.Route{Family: netlink.FAMILY_V4, LinkIndex: 9, Dst: n10}, ""},
		{"blackhole", netlink.Route{Family: netlink.FAMILY_V4, LinkIndex: 2, Dst: n10, Type: unix.RTN_BLACKHOLE}, ""},
	}
	for _, c := range cases {
		r, ok := fromNetlink(c.in, names)
		got := ""
		if ok {
			got = r.String()
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// newNetns returns a fresh network namespace, closed at cleanup. It needs
// root: skipped without it, except with CI=true.
func newNetns(t *testing.T) netns.NsHandle {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to create a network namespace")
		}
		t.Skip("needs root to create a network namespace")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		t.Fatalf("creating network namespace: %v", err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("back to the original namespace: %v", err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// TestWatchKernel follows a private namespace's routes: the connected
// route of an address, then a gateway route added after the first load.
func TestWatchKernel(t *testing.T) {
	ns := newNetns(t)
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	link := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "tnl0"}, PeerName: "tnl1"}
	if err := h.LinkAdd(link); err != nil {
		t.Fatalf("adding a veth pair: %v", err)
	}
	peer, err := h.LinkByName("tnl1")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.9.0.1/24")
	if err := h.AddrAdd(link, addr); err != nil {
		t.Fatal(err)
	}
	var tb Table
	_ = tb.Add(Route{Dst: netip.MustParsePrefix("172.16.0.0/12"), Dev: "static"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := WatchKernel(ctx, &tb, &ns, func(err error) { t.Log(err) }); err != nil {
		t.Fatal(err)
	}
	r, ok := tb.Lookup(netip.MustParseAddr("10.9.0.7"))
	if !ok || r.Dev != "tnl0" || r.Origin != OriginKernel || r.Src.String() != "10.9.0.1" {
		t.Fatalf("connected route: %v %v\n%s", r, ok, tb.Show())
	}
	_, dst, _ := net.ParseCIDR("10.77.0.0/16")
	if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Gw: net.ParseIP("10.9.0.2")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, ok = tb.Lookup(netip.MustParseAddr("10.77.1.1"))
		if ok && r.Gw.String() == "10.9.0.2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("added route not followed:\n%s", tb.Show())
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if r, ok := tb.Lookup(netip.MustParseAddr("172.16.1.1")); !ok || r.Dev != "static" {
		t.Fatalf("static route lost: %v", tb.Show())
	}
}
