package fdb

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

const sec = int64(time.Second)

func mac(i int) [6]byte { return [6]byte{0x50, 0x54, 0, byte(i >> 16), byte(i >> 8), byte(i)} }

func TestLearnLookup(t *testing.T) {
	tb := New(0, 0)
	if n, a := tb.Limits(); n != DefaultSize || a != DefaultAging {
		t.Fatalf("defaults = %d, %v", n, a)
	}
	tb.Learn(0, mac(1), 1, 10*sec)
	tb.Learn(10, mac(1), 2, 10*sec)
	if p, ok := tb.Lookup(0, mac(1), 11*sec); !ok || p != 1 {
		t.Fatalf("vlan 0: %d %v, want 1 true", p, ok)
	}
	if p, ok := tb.Lookup(10, mac(1), 11*sec); !ok || p != 2 {
		t.Fatalf("vlan 10: %d %v, want 2 true", p, ok)
	}
	if _, ok := tb.Lookup(20, mac(1), 11*sec); ok {
		t.Fatal("found a MAC in a VLAN it was not learned in")
	}
	if _, ok := tb.Lookup(0, mac(2), 11*sec); ok {
		t.Fatal("found an unknown MAC")
	}
	if tb.Len() != 2 {
		t.Fatalf("Len = %d, want 2", tb.Len())
	}
}

func TestMovingMAC(t *testing.T) {
	tb := New(0, 0)
	tb.Learn(5, mac(1), 1, sec)
	tb.Learn(5, mac(1), 3, 2*sec)
	if p, ok := tb.Lookup(5, mac(1), 2*sec); !ok || p != 3 {
		t.Fatalf("after move: %d %v, want 3 true", p, ok)
	}
	if tb.Len() != 1 {
		t.Fatalf("Len = %d, want 1", tb.Len())
	}
}

func TestAgeing(t *testing.T) {
	tb := New(0, 10*time.Second)
	tb.Learn(0, mac(1), 1, 100*sec)
	if _, ok := tb.Lookup(0, mac(1), 109*sec); !ok {
		t.Fatal("expired too early")
	}
	if _, ok := tb.Lookup(0, mac(1), 110*sec); ok {
		t.Fatal("entry found at its aging time")
	}
	// Refreshing restarts the clock.
	tb.Learn(0, mac(1), 1, 105*sec)
	if _, ok := tb.Lookup(0, mac(1), 114*sec); !ok {
		t.Fatal("refreshed entry expired")
	}
	// An expired entry comes back when learned again.
	tb.Learn(0, mac(1), 2, 200*sec)
	if p, ok := tb.Lookup(0, mac(1), 201*sec); !ok || p != 2 {
		t.Fatalf("relearned: %d %v", p, ok)
	}
	// Entries purges what has expired.
	tb.Learn(0, mac(2), 2, 150*sec)
	if es := tb.Entries(201 * sec); len(es) != 1 || es[0].MAC != mac(1) {
		t.Fatalf("Entries = %v, want only mac 1", es)
	}
	if tb.Len() != 1 {
		t.Fatalf("Len after purge = %d, want 1", tb.Len())
	}
	tb.SetLimits(0, time.Hour)
	if _, ok := tb.Lookup(0, mac(1), 3000*sec); !ok {
		t.Fatal("SetLimits did not lengthen the aging time")
	}
}

func TestEvictsOldest(t *testing.T) {
	tb := New(4, time.Hour)
	for i := 1; i <= 4; i++ {
		tb.Learn(0, mac(i), uint32(i), int64(i)*sec)
	}
	tb.Learn(0, mac(1), 1, 10*sec) // refresh: mac 2 is now the oldest
	tb.Learn(0, mac(5), 5, 11*sec)
	if _, ok := tb.Lookup(0, mac(2), 11*sec); ok {
		t.Fatal("mac 2 (oldest) was not evicted")
	}
	for _, i := range []int{1, 3, 4, 5} {
		if _, ok := tb.Lookup(0, mac(i), 11*sec); !ok {
			t.Fatalf("mac %d evicted", i)
		}
	}
	tb.Learn(0, mac(6), 6, 12*sec)
	tb.Learn(0, mac(7), 7, 13*sec)
	for i, want := range map[int]bool{1: true, 3: false, 4: false, 5: true, 6: true, 7: true} {
		if _, ok := tb.Lookup(0, mac(i), 13*sec); ok != want {
			t.Errorf("mac %d present = %v, want %v", i, ok, want)
		}
	}
	if tb.Len() != 4 {
		t.Fatalf("Len = %d, want 4", tb.Len())
	}
	// Shrinking evicts the oldest.
	tb.SetLimits(2, time.Hour)
	for i, want := range map[int]bool{1: false, 5: false, 6: true, 7: true} {
		if _, ok := tb.Lookup(0, mac(i), 13*sec); ok != want {
			t.Errorf("after shrink: mac %d present = %v, want %v", i, ok, want)
		}
	}
}

// TestEvictionOrderLarge checks exact oldest-first eviction within one
// port across many candidate batches, with refreshes in between.
func TestEvictionOrderLarge(t *testing.T) {
	const n = 1000
	tb := New(n, time.Hour)
	for i := 0; i < n; i++ {
		tb.Learn(0, mac(i), 1, int64(i+1))
	}
	now := int64(n + 1)
	refreshed := map[int]bool{}
	for i := 0; i < n; i += 7 {
		tb.Learn(0, mac(i), 1, now)
		refreshed[i] = true
		now++
	}
	// Order in which entries must go: unrefreshed ones by learn time, then
	// refreshed ones by refresh time.
	var order []int
	for i := 0; i < n; i++ {
		if !refreshed[i] {
			order = append(order, i)
		}
	}
	for i := 0; i < n; i += 7 {
		order = append(order, i)
	}
	for j, victim := range order {
		if _, ok := tb.Lookup(0, mac(victim), now); !ok {
			t.Fatalf("step %d: mac %d gone too early", j, victim)
		}
		tb.Learn(1, mac(j), 1, now) // a new entry evicts one
		now++
		if _, ok := tb.Lookup(0, mac(victim), now); ok {
			t.Fatalf("step %d: mac %d should have been evicted", j, victim)
		}
	}
}

// TestEvictsFromLargestPort: as Open vSwitch evicts "fairly", a full
// table makes room in the port with the most entries, so a flood of
// source MACs on one port (here VLAN 20) does not push out the entries
// other ports (VLAN 10) learned earlier; and a port that is not flooding
// loses its oldest entries only while it is the largest.
func TestEvictsFromLargestPort(t *testing.T) {
	tb := New(100, time.Hour)
	now := int64(sec)
	for i := 0; i < 10; i++ {
		tb.Learn(10, mac(i), 1, now)
		now++
	}
	for i := 0; i < 5000; i++ {
		tb.Learn(20, mac(1000+i), 2, now)
		now++
	}
	for i := 0; i < 10; i++ {
		if _, ok := tb.Lookup(10, mac(i), now); !ok {
			t.Fatalf("VLAN 10 mac %d was evicted by a flood on another port", i)
		}
	}
	if tb.Len() != 100 {
		t.Fatalf("Len = %d, want 100", tb.Len())
	}

	// Port 3 learns 60 new MACs: port 2 (90 entries) gives way until the
	// two are level, then they take turns; port 1 keeps all of its 10.
	for i := 0; i < 60; i++ {
		tb.Learn(30, mac(i), 3, now)
		now++
	}
	count := map[Port]int{}
	for _, e := range tb.Entries(now) {
		count[e.Port]++
	}
	if count[1] != 10 || count[2] < 40 || count[3] < 40 || count[2]+count[3] != 90 {
		t.Fatalf("entries per port %v, want 10 on port 1 and 90 shared about evenly by ports 2 and 3", count)
	}
}

func TestFlush(t *testing.T) {
	tb := New(0, 0)
	for i := 0; i < 100; i++ {
		tb.Learn(uint16(i%3), mac(i), uint32(i%4), sec)
	}
	tb.FlushPort(2)
	for i := 0; i < 100; i++ {
		_, ok := tb.Lookup(uint16(i%3), mac(i), sec)
		if ok != (i%4 != 2) {
			t.Fatalf("after FlushPort(2): mac %d (port %d) present = %v", i, i%4, ok)
		}
	}
	if tb.Len() != 75 {
		t.Fatalf("Len = %d, want 75", tb.Len())
	}
	tb.Flush()
	if tb.Len() != 0 || len(tb.Entries(sec)) != 0 {
		t.Fatal("Flush left entries")
	}
	tb.Learn(0, mac(1), 1, sec)
	if _, ok := tb.Lookup(0, mac(1), sec); !ok {
		t.Fatal("cannot learn after Flush")
	}
}

func TestEntriesAndFormatShow(t *testing.T) {
	tb := New(0, 0)
	tb.Learn(10, mac(6), 2, 3*sec)
	tb.Learn(0, mac(5), 1, 2*sec)
	tb.Learn(0, mac(7), uint32(PortLocal), 4*sec)
	es := tb.Entries(5*sec + 1)
	want := []Entry{
		{Port: 1, VLAN: 0, MAC: mac(5), Age: 3*time.Second + 1},
		{Port: 2, VLAN: 10, MAC: mac(6), Age: 2*time.Second + 1},
		{Port: PortLocal, VLAN: 0, MAC: mac(7), Age: time.Second + 1},
	}
	if fmt.Sprint(es) != fmt.Sprint(want) {
		t.Fatalf("Entries = %v, want %v", es, want)
	}
	// Shape of ovs-appctl fdb/show br0 from Open vSwitch 3.1.
	wantText := "" +
		" port  VLAN  MAC                Age\n" +
		"    1     0  50:54:00:00:00:05    3\n" +
		"    2    10  50:54:00:00:00:06    2\n" +
		"LOCAL     0  50:54:00:00:00:07    1\n"
	if got := FormatShow(es, nil); got != wantText {
		t.Fatalf("FormatShow:\n%s\nwant:\n%s", got, wantText)
	}
	named := FormatShow(es[:1], func(p Port) string { return fmt.Sprintf("vm%d", p) })
	if named != " port  VLAN  MAC                Age\n  vm1     0  50:54:00:00:00:05    3\n" {
		t.Fatalf("named FormatShow:\n%q", named)
	}
}

func TestConcurrent(t *testing.T) {
	tb := New(500, time.Minute)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 20000; i++ {
				m := mac(i % 1000)
				now := int64(i) * 1000
				tb.Learn(uint16(i%2), m, uint32(w), now)
				tb.Lookup(uint16(i%2), m, now)
				switch i % 5000 {
				case 1234:
					tb.FlushPort(uint32(w))
				case 4321:
					tb.Entries(now)
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			tb.SetLimits(300+i, time.Minute)
			tb.Flush()
		}
	}()
	wg.Wait()
	if n, _ := tb.Limits(); tb.Len() > n {
		t.Fatalf("Len %d exceeds size %d", tb.Len(), n)
	}
}

func TestNoAllocsOnRefreshAndLookup(t *testing.T) {
	tb := New(0, 0)
	m := mac(42)
	tb.Learn(7, m, 3, sec)
	now := sec
	allocs := testing.AllocsPerRun(1000, func() {
		now++
		tb.Learn(7, m, 3, now)
		if _, ok := tb.Lookup(7, m, now); !ok {
			panic("lost entry")
		}
		tb.Lookup(7, mac(43), now)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per learn+lookup, want 0", allocs)
	}
}

func BenchmarkLearnLookupParallel(b *testing.B) {
	tb := New(0, 0)
	for i := 0; i < 1024; i++ {
		tb.Learn(0, mac(i), uint32(i%8), 1)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m := mac(i & 1023)
			tb.Learn(0, m, uint32(i&1023%8), int64(i))
			tb.Lookup(0, mac((i+1)&1023), int64(i))
			i++
		}
	})
}
