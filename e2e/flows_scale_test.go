package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scaleFlowCount is how many flows TestFlowsAtScale adds, replaces and
// dumps: a million, as a Neutron-sized hypervisor needs, or 100k where
// the race detector (or -short) makes gvsd many times slower.
func scaleFlowCount() int {
	if raceEnabled || testing.Short() {
		return 100_000
	}
	return 1_000_000
}

// writeScaleFlows writes n distinct flows over four tables in the shape
// of Neutron's (cookie, priority, in_port, an IPv4 source, an output).
// Set s (1 or 2) is in the cookie's high word, so every flow says which
// set it came from. If bad > 0, line bad is replaced by a flow with an
// invalid address; the returned column is where ovs-ofctl syntax goes
// wrong in it.
func writeScaleFlows(t *testing.T, path string, set, n, bad int) (badCol int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range n {
		if i+1 == bad {
			line := "table=0,priority=5,ip,nw_src=10.0.0.256,actions=drop\n"
			badCol = strings.Index(line, "10.0.0.256") + 1
			w.WriteString(line)
			continue
		}
		fmt.Fprintf(w, "table=%d,priority=%d,cookie=0x%x%08x,ip,in_port=%d,nw_src=10.%d.%d.%d,actions=output:%d\n",
			i%4, 100+i%1000, set, i, 1+i%8, i>>16&255, i>>8&255, i&255, 1+(i*7+set)%8)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return badCol
}

// gvsctlLong runs gvsctl for a call that may take a while (up to 5
// minutes), returning its stderr and exit error.
func (d *daemon) gvsctlLong(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsctlBin, append([]string{"--socket", d.sock}, args...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		return "", err
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	d.checkClientMemory(peak(), args)
	return errOut.String(), err
}

// maxClientRSS bounds gvsctl's peak memory for a flow file or dump of
// any size: it holds one chunk, not the file (a million flows are 85 MB
// of text, several times that as strings and messages).
const maxClientRSS = 100 << 20

// checkClientMemory fails the test if gvsctl's peak (bytes, from
// watchPeakRSS) was above maxClientRSS.
func (d *daemon) checkClientMemory(peak int64, args []string) {
	d.t.Helper()
	if peak > maxClientRSS {
		d.t.Errorf("gvsctl %s peaked at %d MiB, want at most %d: it should hold one chunk, not the table",
			strings.Join(args, " "), peak>>20, maxClientRSS>>20)
	}
}

// watchPeakRSS samples the VmHWM of process pid every few milliseconds
// until the returned function is called (after the process ended), which
// returns the highest value seen, in bytes. The rusage of a child would
// not do: Go starts it with vfork, so its maximum RSS includes the test
// process's own from before the exec. Sampling can miss the last
// milliseconds of a short run; the runs this bounds take seconds.
func watchPeakRSS(pid int) func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if kb, err := strconv.ParseInt(strings.TrimSuffix(vmHWM(pid), " kB"), 10, 64); err == nil && kb<<10 > peak.Load() {
				peak.Store(kb << 10)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// countDump runs `gvsctl dump-flows --no-stats br0` and reads its output
// as it streams (the test, like `| wc -l`, never holds the dump), counting
// the lines and checking each is a flow of set `set`.
func (d *daemon) countDump(t *testing.T, set int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gvsctlBin, "--socket", d.sock, "dump-flows", "--no-stats", "br0")
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	prefix := fmt.Sprintf(" cookie=0x%x", set)
	n, wrong := 0, ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n++
		if l := sc.Text(); wrong == "" && (!strings.HasPrefix(l, prefix) || len(l) < len(prefix)+8) {
			wrong = l
		}
	}
	err = cmd.Wait()
	d.checkClientMemory(peak(), cmd.Args[1:])
	if err != nil {
		t.Fatalf("dump-flows: %v %s", err, errOut.String())
	}
	if wrong != "" {
		t.Errorf("dump-flows printed %q, not a flow of set %d", wrong, set)
	}
	return n
}

// TestFlowsAtScale adds a million flows from a file through gvsctl
// add-flows, dumps them, replaces them with a different million, and
// then tries a replace whose file has one bad line in the middle: it must
// be refused with that line and column and leave the table as it was.
// Each step goes through gvsctl and gvsd's streaming calls; a unary call
// could not carry more than some 40k flows.
func TestFlowsAtScale(t *testing.T) {
	n := scaleFlowCount()
	dir := t.TempDir()
	a, b, bad := filepath.Join(dir, "a.flows"), filepath.Join(dir, "b.flows"), filepath.Join(dir, "bad.flows")
	writeScaleFlows(t, a, 1, n, 0)
	writeScaleFlows(t, b, 2, n, 0)
	badLine := n/2 + 1
	badCol := writeScaleFlows(t, bad, 1, n, badLine)

	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	step := func(what string, f func()) {
		start := time.Now()
		f()
		t.Logf("%s: %v (gvsd VmHWM %s)", what, time.Since(start).Round(time.Millisecond), vmHWM(d.cmd.Process.Pid))
	}
	dump := func(set int, after string) {
		step("dump-flows after "+after, func() {
			if got := d.countDump(t, set); got != n {
				t.Fatalf("dump-flows after %s printed %d lines, want %d", after, got, n)
			}
		})
	}
	step("add-flows", func() {
		if errOut, err := d.gvsctlLong("add-flows", "br0", a); err != nil {
			t.Fatalf("add-flows of %d flows: %v %s", n, err, errOut)
		}
	})
	dump(1, "add-flows")
	step("replace-flows", func() {
		if errOut, err := d.gvsctlLong("replace-flows", "br0", b); err != nil {
			t.Fatalf("replace-flows of %d flows: %v %s", n, err, errOut)
		}
	})
	dump(2, "replace-flows")
	step("refused replace-flows", func() {
		errOut, err := d.gvsctlLong("replace-flows", "br0", bad)
		want := fmt.Sprintf("line %d, column %d: invalid IPv4 address", badLine, badCol)
		if err == nil || !strings.Contains(errOut, want) {
			t.Fatalf("replace-flows with a bad line %d: %v %q, want a refusal with %q", badLine, err, errOut, want)
		}
	})
	dump(2, "the refused replace (the table of before)")
}

// vmHWM is a process's peak resident set size, from /proc.
func vmHWM(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// TestFlowFileRefusals checks that a flow file gvsctl cannot send whole,
// or gvsd refuses anywhere, changes nothing, even when it spans several
// chunks, and that an empty file is an empty flow set.
func TestFlowFileRefusals(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.flows")
	writeScaleFlows(t, good, 1, 20000, 0) // some 1.7 MB: several chunks
	badEnd := filepath.Join(dir, "bad-end.flows")
	badCol := writeScaleFlows(t, badEnd, 2, 20000, 20000)
	long := filepath.Join(dir, "long.flows")
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "priority=1,actions="+strings.Repeat("drop", 300000)+"\n"...)
	if err := os.WriteFile(long, data, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.flows")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		verb, file string
		errHas     string // "" = accepted
		after      int    // flows of set 1 afterwards (the table starts with good's 20000)
	}{
		{"add-flows", badEnd, fmt.Sprintf("line 20000, column %d: invalid IPv4 address", badCol), 20000},
		{"replace-flows", badEnd, fmt.Sprintf("line 20000, column %d: invalid IPv4 address", badCol), 20000},
		{"add-flows", long, "line 20001: longer than", 20000},
		{"replace-flows", long, "line 20001: longer than", 20000},
		{"add-flows", empty, "", 20000},
		{"replace-flows", empty, "", 0},
	}
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br0", "fail_mode=secure")
	for _, c := range cases {
		d.ctl("replace-flows", "br0", good)
		errOut, err := d.gvsctlLong(c.verb, "br0", c.file)
		switch {
		case c.errHas == "" && err != nil:
			t.Errorf("%s %s: %v %s", c.verb, filepath.Base(c.file), err, errOut)
		case c.errHas != "" && (err == nil || !strings.Contains(errOut, c.errHas)):
			t.Errorf("%s %s: %v %q, want a refusal with %q", c.verb, filepath.Base(c.file), err, errOut, c.errHas)
		}
		if got := d.countDump(t, 1); got != c.after {
			t.Errorf("%s %s: %d flows afterwards, want %d", c.verb, filepath.Base(c.file), got, c.after)
		}
	}
}
