package difffuzz

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gvs-project/gvs/internal/ovstest"
)

// Case sizes: enough flows over four tables for resubmit chains to meet,
// enough frames for NORMAL and learn to learn something.
const (
	caseFlows  = 24
	caseFrames = 40
)

// seeds CI runs on every change; a seed that diverges is fixed, not
// dropped.
var seeds = func() (s []uint64) {
	for i := uint64(1); i <= 24; i++ {
		s = append(s, i)
	}
	return s
}()

// TestDifferential runs generated cases through Open vSwitch and gvs and
// fails on any difference in what a port sent, printing the seed and the
// directory of the shrunk case. GVS_DIFFFUZZ_DURATION=10m (make difffuzz)
// runs new seeds for that long instead of the fixed set.
func TestDifferential(t *testing.T) {
	if d, err := time.ParseDuration(os.Getenv("GVS_DIFFFUZZ_DURATION")); err == nil && d > 0 {
		start := uint64(time.Now().UnixNano())
		for i, end := uint64(0), time.Now().Add(d); time.Now().Before(end); i++ {
			checkSeed(t, start+i)
		}
		return
	}
	for _, seed := range seeds {
		checkSeed(t, seed)
	}
}

func checkSeed(t *testing.T, seed uint64) {
	t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
		c := Generate(seed, caseFlows, caseFrames)
		d := diverge(t, c)
		if d == "" {
			return
		}
		small := Shrink(c, func(c *Case) bool { return diverge(t, c) != "" })
		out := os.Getenv("GVS_DIFFFUZZ_OUT")
		if out == "" {
			out = t.TempDir()
		}
		dir := filepath.Join(out, "difffuzz-"+strconv.FormatUint(seed, 10))
		if err := small.Write(dir); err != nil {
			t.Fatal(err)
		}
		t.Errorf("seed %d: gvs differs from Open vSwitch; shrunk to %d flows and %d frames in %s\n%s",
			seed, len(small.Flows), len(small.Frames), dir, diverge(t, small))
	})
}

// diverge runs c through both switches and describes the difference.
func diverge(t *testing.T, c *Case) string {
	t.Helper()
	dir := t.TempDir()
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	ovs := RunOVS(ovstest.Start(t), dir)
	gvs := RunGVS(dir, t.TempDir())
	sent := 0
	for _, fs := range ovs.Out {
		sent += len(fs)
	}
	t.Logf("seed %d: %d flows, %d frames in, Open vSwitch sent %d (error: %v)", c.Seed, len(c.Flows), len(c.Frames), sent, ovs.Err)
	return Compare(ovs, gvs)
}
