package vswitch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath"
)

// TestReplayConntrackDump replays every case whose expected/summary.txt
// records Open vSwitch's dpctl/dump-conntrack and compares the connection
// table gvs is left with.
func TestReplayConntrackDump(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "replay", "*", "config.yaml"))
	n := 0
	for _, cfgPath := range cases {
		dir := filepath.Dir(cfgPath)
		sum, err := os.ReadFile(filepath.Join(dir, "expected", "summary.txt"))
		if err != nil {
			t.Fatal(err)
		}
		_, want, ok := strings.Cut(string(sum), "dpctl/dump-conntrack after the last frame (sorted):\n")
		if !ok {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			trace, dp := replayCase(t, cfgPath)
			got := conntrack.Format(dp.Conntrack.(*conntrack.Tracker).Dump(nil))
			if got != want {
				t.Errorf("conntrack table differs from Open vSwitch:\ngot:\n%swant:\n%s", got, want)
			}
			if filepath.Base(dir) != "d-firewall" {
				return
			}
			for _, s := range []string{"ct(lookup): state=+new+trk zone=1", "ct(commit): state=+new+trk zone=1", "state=+est+rpl+trk zone=1", "state=+inv+trk zone=1", "state=+rel+rpl+trk zone=1"} {
				if !strings.Contains(trace, s) {
					t.Errorf("trace lacks %q", s)
				}
			}
		})
	}
	if n < 2 {
		t.Fatalf("only %d cases record a conntrack dump", n)
	}
}

func replayCase(t *testing.T, cfgPath string) (string, *datapath.Datapath) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for bi := range cfg.Bridges {
		for pi := range cfg.Bridges[bi].Ports {
			if p := &cfg.Bridges[bi].Ports[pi]; p.Type == config.KindPcap {
				p.Options["tx"] = filepath.Join(out, p.Name+".pcap")
			}
		}
	}
	var trace strings.Builder
	dp, err := Replay(cfg, datapath.ReplayOptions{Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	return trace.String(), dp
}
