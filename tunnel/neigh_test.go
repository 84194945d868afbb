package tunnel

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath/header"
)

// Frames OVS 3.1 learned from on br0's port (tnl/neigh/show listed both).
const (
	ovsARPReply = "aa55aa550001aa55aa55009508060001080006040002aa55aa5500950101025faa55aa55000101010258"
	ovsNA       = "aa55aa550001aa55aa55009686dd6000000000203aff2001cafe0000000000000000000000952001cafe0000000000000000000000888800fdb0600000002001cafe0000000000000000000000950201aa55aa550096"
	// What OVS sent for unknown next hops 1.1.2.95 and 2001:cafe::95.
	ovsARPRequest = "ffffffffffffaa55aa55000108060001080006040001aa55aa550001010102580000000000000101025f"
	ovsNS         = "3333ff000095aa55aa55000186dd6000000000203aff2001cafe000000000000000000000088ff0200000000000000000001ff00009587004d41000000002001cafe0000000000000000000000950101aa55aa550001"
)

func TestParseNeighbor(t *testing.T) {
	arpReq := mustHex(t, ovsARPRequest)
	naNoOpt := mustHex(t, ovsNA)[:14+40+24]
	naNoOpt[19] = 24 // payload length without the option (checksum now wrong too)
	naBadSum := mustHex(t, ovsNA)
	naBadSum[len(naBadSum)-1] ^= 1
	naHop := mustHex(t, ovsNA)
	naHop[21] = 64
	cases := []struct {
		name  string
		frame []byte
		ip    string
		mac   string
	}{
		{"arp reply", mustHex(t, ovsARPReply), "1.1.2.95", "aa:55:aa:55:00:95"},
		{"arp request", arpReq, "1.1.2.88", "aa:55:aa:55:00:01"},
		{"na", mustHex(t, ovsNA), "2001:cafe::95", "aa:55:aa:55:00:96"},
		{"ns is not learned", mustHex(t, ovsNS), "", ""},
		{"na without option", naNoOpt, "", ""},
		{"na bad checksum", naBadSum, "", ""},
		{"na hop limit", naHop, "", ""},
		{"truncated arp", arpReq[:30], "", ""},
		{"tunnel frame", mustHex(t, goldens[0].ovs+goldenInner), "", ""},
		{"empty", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip, mac, ok := ParseNeighbor(c.frame)
			if ok != (c.ip != "") {
				t.Fatalf("ParseNeighbor ok=%v (%v %v)", ok, ip, mac)
			}
			if ok && (ip.String() != c.ip || mac.String() != c.mac) {
				t.Fatalf("got %v %v, want %s %s", ip, mac, c.ip, c.mac)
			}
		})
	}
}

func TestBuildRequestsGolden(t *testing.T) {
	buf := make([]byte, 128)
	n, err := BuildARPRequest(buf, macBr0, src4, netip.MustParseAddr("1.1.2.95"))
	if err != nil || !bytes.Equal(buf[:n], mustHex(t, ovsARPRequest)) {
		t.Fatalf("ARP request %x (%v), want %s", buf[:n], err, ovsARPRequest)
	}
	n, err = BuildNS(buf, macBr0, src6, netip.MustParseAddr("2001:cafe::95"))
	if err != nil || !bytes.Equal(buf[:n], mustHex(t, ovsNS)) {
		t.Fatalf("NS %x (%v), want %s", buf[:n], err, ovsNS)
	}
	if _, err := BuildARPRequest(buf, macBr0, src6, src4); err == nil {
		t.Fatal("ARP request from an IPv6 source")
	}
	if _, err := BuildNS(buf[:40], macBr0, src6, src6); err == nil {
		t.Fatal("NS into a short buffer")
	}
}

func TestCache(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewCache(10 * time.Second)
	for _, f := range []string{ovsARPReply, ovsNA} {
		if _, ok := c.Learn(mustHex(t, f), "br0", now); !ok {
			t.Fatalf("did not learn from %s", f)
		}
	}
	c.Set(netip.MustParseAddr("1.1.2.92"), mac92, "br0")
	ip95 := netip.MustParseAddr("1.1.2.95")
	if n, ok := c.Lookup(ip95, now.Add(9*time.Second)); !ok || n.MAC.String() != "aa:55:aa:55:00:95" || n.Static {
		t.Fatalf("Lookup = %+v %v", n, ok)
	}
	const want = `IP                                            MAC                 Bridge
==========================================================================
1.1.2.92                                      aa:55:aa:55:00:99   br0
1.1.2.95                                      aa:55:aa:55:00:95   br0
2001:cafe::95                                 aa:55:aa:55:00:96   br0
`
	if got := c.Show(now); got != want {
		t.Fatalf("Show:\n%s\nwant\n%s", got, want)
	}
	// A learned binding does not override a static one.
	if c.Insert(netip.MustParseAddr("1.1.2.92"), mac93, "br1", now) {
		t.Fatal("learned entry replaced a static one")
	}
	later := now.Add(10 * time.Second)
	if _, ok := c.Lookup(ip95, later); ok {
		t.Fatal("expired entry still answers")
	}
	if n, ok := c.Lookup(netip.MustParseAddr("::ffff:1.1.2.92"), later.Add(time.Hour)); !ok || n.MAC != mac92 {
		t.Fatal("static entry expired or mapped address missed")
	}
	if got := c.Expire(later); got != 2 {
		t.Fatalf("Expire removed %d, want 2", got)
	}
	c.Flush()
	if len(c.Neighbors(now)) != 0 {
		t.Fatal("Flush left entries")
	}
}

// FuzzNeighLearn: ParseNeighbor never panics, and what it learns is a unicast binding.
func FuzzNeighLearn(f *testing.F) {
	for _, s := range []string{ovsARPReply, ovsNA, ovsARPRequest, ovsNS} {
		f.Add(mustHex(f, s))
	}
	c := NewCache(0)
	now := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, frame []byte) {
		ip, mac, ok := ParseNeighbor(frame)
		if !ok {
			return
		}
		if mac == (header.MAC{}) || mac.IsMulticast() || !ip.IsValid() {
			t.Fatalf("learned %v %v", ip, mac)
		}
		if _, ok := c.Learn(frame, "br0", now); !ok {
			t.Fatal("Learn refused what ParseNeighbor accepted")
		}
		if _, ok := c.Lookup(ip, now); !ok {
			t.Fatal("learned entry not found")
		}
	})
}

func BenchmarkNeighLookup(b *testing.B) {
	c := NewCache(0)
	c.Set(netip.MustParseAddr("1.1.2.92"), mac92, "br0")
	ip, now := netip.MustParseAddr("1.1.2.92"), time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Lookup(ip, now); !ok {
			b.Fatal("miss")
		}
	}
}
