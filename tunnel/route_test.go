package tunnel

import (
	"net/netip"
	"testing"
)

func TestRouteLookup(t *testing.T) {
	var tb Table
	if _, ok := tb.Lookup(netip.MustParseAddr("1.1.1.1")); ok {
		t.Fatal("empty table found a route")
	}
	br0 := netip.MustParseAddr("1.1.2.88")
	for _, r := range []Route{
		{Dst: netip.MustParsePrefix("1.1.2.92/24"), Dev: "br0", Src: br0},
		{Dst: netip.MustParsePrefix("10.0.0.0/8"), Dev: "br0", Gw: netip.MustParseAddr("1.1.2.1"), Src: br0},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Dev: "br0", Gw: netip.MustParseAddr("1.1.2.1"), Src: br0},
		{Dst: netip.MustParsePrefix("10.1.0.0/16"), Dev: "br1"},
		{Dst: netip.MustParsePrefix("2001:cafe::92/24"), Dev: "br0", Src: netip.MustParseAddr("2001:cafe::88")},
		{Dst: netip.MustParsePrefix("::/0"), Dev: "br6", Gw: netip.MustParseAddr("fe80::1")},
	} {
		if err := tb.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		dst, prefix, nextHop string
		ok                   bool
	}{
		{"1.1.2.92", "1.1.2.0/24", "1.1.2.92", true},
		{"::ffff:1.1.2.7", "1.1.2.0/24", "1.1.2.7", true},
		{"10.2.3.4", "10.0.0.0/8", "1.1.2.1", true},
		{"10.1.3.4", "10.1.0.0/16", "10.1.3.4", true},
		{"8.8.8.8", "0.0.0.0/0", "1.1.2.1", true},
		{"2001:caff::1", "2001:ca00::/24", "2001:caff::1", true},
		{"fd00::1", "::/0", "fe80::1", true},
	}
	for _, c := range cases {
		r, ok := tb.Lookup(netip.MustParseAddr(c.dst))
		if ok != c.ok || r.Dst.String() != c.prefix || r.NextHop(netip.MustParseAddr(c.dst)).String() != c.nextHop {
			t.Errorf("Lookup(%s) = %v %v, want %s via %s", c.dst, r, ok, c.prefix, c.nextHop)
		}
	}
	if !tb.Delete(netip.MustParsePrefix("0.0.0.0/0")) || tb.Delete(netip.MustParsePrefix("0.0.0.0/0")) {
		t.Fatal("Delete reported wrongly")
	}
	if r, ok := tb.Lookup(netip.MustParseAddr("8.8.8.8")); ok {
		t.Fatalf("deleted default route still found: %v", r)
	}
	if err := tb.Add(Route{Dst: netip.MustParsePrefix("1.0.0.0/8"), Gw: netip.MustParseAddr("fe80::1")}); err == nil {
		t.Fatal("mixed-family gateway accepted")
	}
}

// TestRouteShow compares with ovs-appctl ovs/route/show of OVS 3.1 after
// the same ovs/route/add commands and netdev-dummy addresses.
func TestRouteShow(t *testing.T) {
	var tb Table
	br0, br06 := netip.MustParseAddr("1.1.2.88"), netip.MustParseAddr("2001:cafe::88")
	gw := netip.MustParseAddr("1.1.2.1")
	for _, r := range []Route{
		{Dst: netip.MustParsePrefix("2001:cafe::92/24"), Dev: "br0", Src: br06},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Dev: "br0", Gw: gw, Src: br0},
		{Dst: netip.MustParsePrefix("1.1.2.92/24"), Dev: "br0", Src: br0},
		{Dst: netip.MustParsePrefix("10.0.0.0/8"), Dev: "br0", Gw: gw, Src: br0},
	} {
		if err := tb.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	const want = `Route Table:
User: 1.1.2.0/24 dev br0 SRC 1.1.2.88
User: 10.0.0.0/8 dev br0 GW 1.1.2.1 SRC 1.1.2.88
User: 0.0.0.0/0 dev br0 GW 1.1.2.1 SRC 1.1.2.88
User: 2001:ca00::/24 dev br0 SRC 2001:cafe::88
`
	if got := tb.Show(); got != want {
		t.Fatalf("Show:\n%s\nwant\n%s", got, want)
	}
}

func TestReplaceOrigin(t *testing.T) {
	var tb Table
	_ = tb.Add(Route{Dst: netip.MustParsePrefix("1.0.0.0/8"), Dev: "user"})
	tb.ReplaceOrigin(OriginKernel, []Route{{Dst: netip.MustParsePrefix("2.0.0.0/8"), Dev: "k1"}})
	tb.ReplaceOrigin(OriginKernel, []Route{{Dst: netip.MustParsePrefix("3.0.0.0/8"), Dev: "k2"}})
	rs := tb.Routes()
	if len(rs) != 2 || rs[0].Dev != "user" || rs[1].Dev != "k2" || rs[1].Origin != OriginKernel {
		t.Fatalf("routes %v", rs)
	}
	if _, ok := tb.Lookup(netip.MustParseAddr("2.1.1.1")); ok {
		t.Fatal("stale kernel route survived resync")
	}
}

func BenchmarkRouteLookup(b *testing.B) {
	var tb Table
	for i := 0; i < 256; i++ {
		_ = tb.Add(Route{Dst: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), 0, 0}), 16), Dev: "br0"})
	}
	_ = tb.Add(Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Dev: "br0"})
	dst := netip.MustParseAddr("10.77.1.2")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tb.Lookup(dst); !ok {
			b.Fatal("miss")
		}
	}
}
