package ipf

import (
	"testing"

	"github.com/gvs-project/gvs/datapath/packet"
)

// BenchmarkReassemble3Frag reassembles a 3000-byte IPv4 datagram from
// three fragments and releases it, in steady state: lists and buffers come
// from the pool.
func BenchmarkReassemble3Frag(b *testing.B) {
	r := New()
	d := payload(3000)
	frames := [3][]byte{v4(1, d, 0, 1480, true), v4(1, d, 1480, 2960, true), v4(1, d, 2960, 3000, false)}
	var ls [3]packet.Layout
	for i := range frames {
		ls[i].Parse(frames[i], packet.DefaultVLANLimit)
	}
	b.ReportAllocs()
	b.SetBytes(3000)
	for i := 0; b.Loop(); i++ {
		var res Result
		for j := range frames {
			res = r.Add(frames[j], &ls[j], 0, int64(i))
		}
		if res.Verdict != Complete {
			b.Fatalf("got %v", res.Verdict)
		}
		r.Release(res.Datagram, true)
	}
}

// TestReassembleAllocs checks the steady state allocates nothing.
func TestReassembleAllocs(t *testing.T) {
	r := New()
	d := payload(3000)
	frames := [3][]byte{v4(1, d, 0, 1480, true), v4(1, d, 1480, 2960, true), v4(1, d, 2960, 3000, false)}
	var ls [3]packet.Layout
	for i := range frames {
		ls[i].Parse(frames[i], packet.DefaultVLANLimit)
	}
	run := func() {
		var res Result
		for j := range frames {
			res = r.Add(frames[j], &ls[j], 0, 0)
		}
		r.Release(res.Datagram, true)
	}
	run() // warm the pool
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per datagram, want 0", n)
	}
}
