package ipf

import (
	"slices"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/internal/ovstest"
)

// TestStatusMatchesOVS sends the same fragment sequences through Open
// vSwitch's userspace datapath (a ct action in zone 5) and through a
// Reassembler, and compares dpctl/ipf-get-status after each: the counters
// and the number of fragments held must agree.
func TestStatusMatchesOVS(t *testing.T) {
	o := ovstest.Start(t)
	if err := o.AddBridge("br0", true); err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"p1", "p2"} {
		if err := o.AddPort("br0", p, i+1, "", nil, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, fl := range []string{"ip,in_port=1,actions=ct(commit,zone=5),output:2", "ipv6,in_port=1,actions=ct(commit,zone=5),output:2"} {
		if _, err := o.Ofctl("add-flow", "br0", fl); err != nil {
			t.Fatal(err)
		}
	}
	d := payload(3000)
	ext, kinds := [][]byte{hbh}, []uint8{0}
	type p struct {
		start, end int
		more       bool
	}
	tests := []struct {
		name   string
		v6     bool
		pieces []p
	}{
		{"v4 in order", false, []p{{0, 1480, true}, {1480, 2960, true}, {2960, 3000, false}}},
		{"v4 out of order", false, []p{{2960, 3000, false}, {0, 1480, true}, {1480, 2960, true}}},
		{"v4 duplicate", false, []p{{0, 1480, true}, {0, 1480, true}, {1480, 2960, true}, {2960, 3000, false}}},
		{"v4 too small", false, []p{{0, 800, true}}},
		{"v4 contains", false, []p{{1480, 2960, true}, {0, 2960, true}}},
		{"v4 overlap", false, []p{{0, 1480, true}, {1472, 2952, true}}},
		{"v4 past the last", false, []p{{2960, 3000, false}, {1480, 3000, true}}},
		{"v4 last before held data", false, []p{{1480, 2960, true}, {8, 1480, false}}},
		{"v6 in order", true, []p{{0, 1440, true}, {1440, 2880, true}, {2880, 3000, false}}},
		{"v6 out of order", true, []p{{1440, 2880, true}, {2880, 3000, false}, {0, 1440, true}}},
		{"v6 duplicate", true, []p{{0, 1440, true}, {0, 1440, true}}},
		{"v6 too small", true, []p{{0, 1000, true}}},
	}
	r := New()
	for i, tt := range tests {
		id := uint16(100 + i)
		for _, pc := range tt.pieces {
			var f []byte
			if tt.v6 {
				f = v6(uint32(id), ext, kinds, d, pc.start, pc.end, pc.more, false)
			} else {
				f = v4(id, d, pc.start, pc.end, pc.more)
			}
			if err := o.Receive("p1", f); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if res := r.Add(f, layout(f), 5, 0); res.Verdict == Complete {
				r.Release(res.Datagram, true)
			}
		}
		want, err := o.Appctl("dpctl/ipf-get-status")
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Status().String(); strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Errorf("after %q:\n got\n%s\nOVS\n%s", tt.name, got, want)
		}
	}
	// The lists left waiting, as -m dumps them (OVS in hash order).
	out, err := o.Appctl("dpctl/ipf-get-status", "-m")
	if err != nil {
		t.Fatal(err)
	}
	_, lists, _ := strings.Cut(out, "Fragment Lists:")
	var want []string
	for _, l := range strings.Split(lists, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			want = append(want, l)
		}
	}
	got := r.DumpLists()
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("lists:\n got %q\nwant %q", got, want)
	}
	if v := r.Status().Verbose(r.DumpLists()); !strings.Contains(v, "Fragment Lists:") || !strings.HasPrefix(v, r.Status().String()) {
		t.Errorf("verbose status:\n%s", v)
	}
}
