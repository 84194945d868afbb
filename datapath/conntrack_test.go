package datapath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
)

// TestReplayConntrackDump replays the firewall case and compares the
// connection table left behind with Open vSwitch's dpctl/dump-conntrack,
// recorded at the end of expected/summary.txt.
func TestReplayConntrackDump(t *testing.T) {
	dir := filepath.Join("..", "testdata", "replay", "d-firewall")
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for bi := range cfg.Bridges {
		for pi := range cfg.Bridges[bi].Ports {
			if p := &cfg.Bridges[bi].Ports[pi]; p.Type == "pcap" {
				p.Options["tx"] = filepath.Join(out, p.Name+".pcap")
			}
		}
	}
	var trace strings.Builder
	dp, err := Replay(cfg, ReplayOptions{Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "expected", "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, want, ok := strings.Cut(string(sum), "dpctl/dump-conntrack after the last frame (sorted):\n")
	if !ok {
		t.Fatal("summary.txt has no conntrack dump")
	}
	got := conntrack.Format(dp.Conntrack.(*conntrack.Tracker).Dump(nil))
	if got != want {
		t.Errorf("conntrack table differs from Open vSwitch:\ngot:\n%swant:\n%s", got, want)
	}
	for _, s := range []string{"ct(lookup): state=+new+trk zone=1", "ct(commit): state=+new+trk zone=1", "state=+est+rpl+trk zone=1", "state=+inv+trk zone=1", "state=+rel+rpl+trk zone=1"} {
		if !strings.Contains(trace.String(), s) {
			t.Errorf("trace lacks %q", s)
		}
	}
}
