package vswitch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// TestReplayGoldens replays every case under testdata/replay and compares
// each pcap port's transmitted frames with what Open vSwitch 3.1 sent for
// the same topology, flows and frames (expected/<port>.pcap, produced and
// re-checked live by internal/ovsreplay).
func TestReplayGoldens(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "replay", "*", "config.yaml"))
	if len(cases) == 0 {
		t.Fatal("no replay cases under testdata/replay")
	}
	for _, cfgPath := range cases {
		dir := filepath.Dir(cfgPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			// Write tx files to the temp dir, not into testdata.
			for bi := range cfg.Bridges {
				for pi := range cfg.Bridges[bi].Ports {
					p := &cfg.Bridges[bi].Ports[pi]
					if p.Type == "pcap" {
						p.Options["tx"] = filepath.Join(out, p.Name+".pcap")
					}
				}
			}
			var trace, summary bytes.Buffer
			if _, err := Replay(cfg, datapath.ReplayOptions{Trace: &trace, Summary: &summary}); err != nil {
				t.Fatal(err)
			}
			failed := false
			for _, bc := range cfg.Bridges {
				for _, pc := range bc.Ports {
					if pc.Type != "pcap" {
						continue
					}
					want, err := datapath.ReadPcap(filepath.Join(dir, "expected", pc.Name+".pcap"))
					if err != nil {
						t.Fatalf("port %s: %v", pc.Name, err)
					}
					got, err := datapath.ReadPcap(pc.Options["tx"])
					if err != nil {
						t.Fatalf("port %s: %v", pc.Name, err)
					}
					if d := diffFrames(want, got); d != "" {
						t.Errorf("port %s differs from Open vSwitch:\n%s", pc.Name, d)
						failed = true
					}
				}
			}
			if failed {
				t.Logf("summary:\n%s", summary.String())
				if os.Getenv("GVS_TRACE") != "" {
					t.Logf("trace:\n%s", trace.String())
				}
			}
		})
	}
}

func diffFrames(want, got []datapath.PcapFrame) string {
	var b strings.Builder
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		switch {
		case i >= len(want):
			fmt.Fprintf(&b, "  frame %d: unexpected %x\n", i+1, got[i].Data)
		case i >= len(got):
			fmt.Fprintf(&b, "  frame %d: missing %x\n", i+1, want[i].Data)
		case !bytes.Equal(want[i].Data, got[i].Data):
			fmt.Fprintf(&b, "  frame %d:\n    want %x\n    got  %x\n", i+1, want[i].Data, got[i].Data)
		}
	}
	return b.String()
}

// TestReplayDumpFlows checks that gvsd replay --dump-flows prints each
// bridge's flows with the frames' clock (ages and durations from the first
// frame, never negative) and that the dump parses back as flows.
func TestReplayDumpFlows(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "testdata", "replay", "a-arp-gateway", "config.yaml"))
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
	var dump bytes.Buffer
	if _, err := Replay(cfg, datapath.ReplayOptions{DumpFlows: &dump}); err != nil {
		t.Fatal(err)
	}
	text := dump.String()
	if strings.Contains(text, "idle_age=-") || strings.Contains(text, "duration=-") {
		t.Fatalf("negative ages in the dump:\n%s", text)
	}
	var flows []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, " cookie=") {
			flows = append(flows, l)
		}
	}
	if len(flows) < 20 {
		t.Fatalf("dump has %d flow lines, want the flows of both bridges:\n%s", len(flows), text)
	}
	if _, err := flowtable.ParseFlowsWith(strings.NewReader(strings.Join(flows, "\n")), flowtable.CmdAdd, flowtable.ParseOptions{}); err != nil {
		t.Fatalf("dump does not parse back: %v", err)
	}
	if !strings.Contains(text, "n_packets=1, n_bytes=60") {
		t.Errorf("no flow counted the replayed ARP:\n%s", text)
	}
}
