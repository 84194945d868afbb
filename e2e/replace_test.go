package e2e

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// flowSet returns one of the two tables of the atomicity test. Alone, A
// sends in_port=1 to port 2 (tables 0 -> 1) and B to port 3 (tables 0 ->
// 2). Mixed they do neither: A's table 0 with B's table 1 outputs to both
// ports, B's table 0 with A's (empty) table 2 drops the frame. Filler flows
// that differ between the sets make each replacement real work.
func flowSet(b bool) []string {
	var fs []string
	if !b {
		fs = append(fs, "table=0,priority=10,in_port=1,actions=resubmit(,1)",
			"table=1,priority=10,actions=output:2")
	} else {
		fs = append(fs, "table=0,priority=10,in_port=1,actions=resubmit(,2)",
			"table=1,priority=10,actions=output:2,output:3",
			"table=2,priority=10,actions=output:3")
	}
	for i := range 300 {
		c := 0xa
		if b {
			c = 0xb
		}
		fs = append(fs, fmt.Sprintf("table=%d,priority=%d,cookie=0x%x,dl_src=02:00:00:%02x:%02x:00,actions=drop", 3+i%5, 100+i, c, i>>8, i&0xff))
	}
	return fs
}

// seqFrame is an Ethernet frame (local experimental ethertype) carrying n.
func seqFrame(n uint64) []byte {
	f := make([]byte, 60)
	copy(f, []byte{0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5})
	binary.BigEndian.PutUint64(f[14:], n)
	return f
}

// TestReplaceFlowsAtomic injects a stream of numbered frames while the
// flow table is replaced back and forth between two sets: every frame must
// come out exactly once, on A's port or on B's, never on both and never
// lost — which is what a torn table would produce.
func TestReplaceFlowsAtomic(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	d.ctl("add-port", "br0", "in0", "type=pcap", "ofport=1")
	d.ctl("add-port", "br0", "pa", "type=pcap", "ofport=2", "options:tx="+txPath(d.dir, "pa"))
	d.ctl("add-port", "br0", "pb", "type=pcap", "ofport=3", "options:tx="+txPath(d.dir, "pb"))

	// The CLI path first: replace-flows from a file, then from stdin is
	// the same code; check each set alone forwards as designed.
	for _, b := range []bool{false, true} {
		file := filepath.Join(d.dir, fmt.Sprintf("set-%v.flows", b))
		if err := os.WriteFile(file, []byte("# flow set\n"+strings.Join(flowSet(b), "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		d.ctl("replace-flows", "br0", file)
		if got := strings.Count(d.ctl("dump-flows", "br0", "--no-stats"), "\n"); got != len(flowSet(b)) {
			t.Fatalf("after replace-flows: %d flows, want %d", got, len(flowSet(b)))
		}
	}
	fl, dp := d.client()
	ctx := context.Background()
	out := func() (a, b [][]byte) {
		return readPcap(t, txPath(d.dir, "pa")), readPcap(t, txPath(d.dir, "pb"))
	}
	for _, b := range []bool{false, true} {
		if _, err := fl.ReplaceFlows(ctx, &ctlpb.ReplaceFlowsRequest{Bridge: "br0", Flows: flowSet(b)}); err != nil {
			t.Fatal(err)
		}
		a0, b0 := out()
		if _, err := dp.PacketOut(ctx, &ctlpb.PacketOutRequest{Bridge: "br0", InPort: "1", Frames: [][]byte{seqFrame(1 << 40)}}); err != nil {
			t.Fatal(err)
		}
		a1, b1 := out()
		if da, db := len(a1)-len(a0), len(b1)-len(b0); b && (da != 0 || db != 1) || !b && (da != 1 || db != 0) {
			t.Fatalf("set B=%v alone: %d frames on pa, %d on pb", b, da, db)
		}
	}
	a0, b0 := out()

	// The stream: two injectors, while the table flips. Each records the
	// frames gvsd accepted (PacketOut returns once a frame has run to
	// completion).
	var next atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	sent := make([][]uint64, 2)
	errs := make(chan error, 3)
	for g := range sent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := next.Add(1)
				if _, err := dp.PacketOut(ctx, &ctlpb.PacketOutRequest{Bridge: "br0", InPort: "in0", Frames: [][]byte{seqFrame(n)}}); err != nil {
					errs <- err
					return
				}
				sent[g] = append(sent[g], n)
			}
		}()
	}
	// Meanwhile readers, so that a race-enabled gvsd would report any
	// unsynchronised read of what the packet path and the flow-mods write.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := fl.DumpFlows(ctx, &ctlpb.DumpFlowsRequest{Bridge: "br0"}); err != nil {
				errs <- err
				return
			}
			if _, err := fl.DumpTables(ctx, &ctlpb.DumpTablesRequest{Bridge: "br0"}); err != nil {
				errs <- err
				return
			}
			if _, err := dp.DumpPorts(ctx, &ctlpb.DumpPortsRequest{Bridge: "br0"}); err != nil {
				errs <- err
				return
			}
			if _, err := dp.FDBShow(ctx, &ctlpb.FDBShowRequest{Bridge: "br0"}); err != nil {
				errs <- err
				return
			}
			if err := scrapeErr(d); err != nil {
				errs <- err
				return
			}
		}
	}()
	start := time.Now()
	const flips = 200
	for i := range flips {
		if _, err := fl.ReplaceFlows(ctx, &ctlpb.ReplaceFlowsRequest{Bridge: "br0", Flows: flowSet(i%2 == 0)}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := append(sent[0], sent[1]...)
	t.Logf("%d replace-flows of %d flows while %d frames went through, in %v", flips, len(flowSet(false)), len(all), time.Since(start))

	a1, b1 := out()
	seen := map[uint64]string{}
	for _, c := range []struct {
		port   string
		frames [][]byte
	}{{"pa", a1[len(a0):]}, {"pb", b1[len(b0):]}} {
		for _, f := range c.frames {
			n := binary.BigEndian.Uint64(f[14:])
			if p, dup := seen[n]; dup {
				t.Errorf("frame %d came out on %s and on %s: a mix of the two tables", n, p, c.port)
			}
			seen[n] = c.port
		}
	}
	var lost []uint64
	for _, n := range all {
		if _, ok := seen[n]; !ok {
			lost = append(lost, n)
		}
		delete(seen, n)
	}
	if len(lost) > 0 {
		t.Errorf("%d of %d frames came out nowhere (a mix of the two tables), e.g. %v", len(lost), len(all), lost[:min(5, len(lost))])
	}
	if len(seen) > 0 {
		t.Errorf("%d frames came out that were never injected", len(seen))
	}
	// gvsd counted exactly the frames sent: the two probes and the stream.
	if rx, _ := portCounters(t, d.ctl("dump-ports", "br0", "in0"), 1); rx != 2+len(all) {
		t.Errorf("in0 rx=%d, want %d", rx, 2+len(all))
	}
	if len(a1) == len(a0) || len(b1) == len(b0) {
		t.Errorf("the stream did not see both tables: %d frames on pa, %d on pb", len(a1)-len(a0), len(b1)-len(b0))
	}
}
