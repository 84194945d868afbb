package conntrack

import (
	"sync"
	"testing"
)

// TestNATConcurrent: NATed connections made and used from several
// goroutines at once end up one entry each with distinct ports, and every
// reply finds its client (run with -race).
func TestNATConcurrent(t *testing.T) {
	tr := New(Config{})
	nat := snat("10.100.0.1", 20000, 20999)
	const n = 200
	ports := make([]uint16, n)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				f := udpFrame(t, "192.168.1.9", uint16(30000+i), "8.8.8.8", 53)
				if st := natRun(tr, commit(0), nat, f, sec); st != StateTrk|StateNew|StateSNAT {
					t.Errorf("client %d: %s", i, stateString(st))
					return
				}
				ports[i] = uint16(f[14+20])<<8 | uint16(f[14+21])
				r := udpFrame(t, "8.8.8.8", 53, "10.100.0.1", ports[i])
				if st := natRun(tr, lookup(0), &natT{}, r, sec); st != StateTrk|StateEst|StateRpl|StateDNAT {
					t.Errorf("reply %d: %s", i, stateString(st))
				}
			}
		}(g)
	}
	wg.Wait()
	seen := map[uint16]bool{}
	for i, p := range ports {
		if seen[p] {
			t.Errorf("port %d given twice (client %d)", p, i)
		}
		seen[p] = true
	}
	if tr.Len() != n {
		t.Errorf("%d entries, want %d", tr.Len(), n)
	}
}
