package difffuzz

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/internal/ovsreplay"
	"github.com/gvs-project/gvs/internal/ovstest"
	"github.com/gvs-project/gvs/vswitch"
)

// epoch is the pcap time of a case's first frame; frames are 1 ms apart.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Write lays c out as a replay case directory (config.yaml, br0.flows,
// one input pcap per port), the form internal/ovsreplay and gvsd replay
// read, so a divergence found here becomes a golden as it is.
func (c *Case) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mode := "secure"
	if c.Standalone {
		mode = "standalone"
	}
	var y strings.Builder
	fmt.Fprintf(&y, "# difffuzz seed %d\nbridges:\n  - name: br0\n    fail_mode: %s\n    flows: br0.flows\n    ports:\n", c.Seed, mode)
	for _, p := range Ports {
		tag := ""
		if p.Tag != 0 {
			tag = fmt.Sprintf(" tag: %d,", p.Tag)
		}
		fmt.Fprintf(&y, "      - {name: %s, ofport: %d, type: pcap,%s options: {rx: %s-in.pcap, tx: %s-out.pcap}}\n", p.Name, p.OFPort, tag, p.Name, p.Name)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(y.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "br0.flows"), []byte(strings.Join(c.Flows, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	in := map[string][]ovsreplay.Packet{}
	for i, f := range c.Frames {
		in[f.Port] = append(in[f.Port], ovsreplay.Packet{Time: epoch.Add(time.Duration(i) * time.Millisecond), Data: f.Data})
	}
	for _, p := range Ports {
		if err := ovsreplay.WritePcap(filepath.Join(dir, ovsreplay.InputName(p.Name)), in[p.Name]); err != nil {
			return err
		}
	}
	return nil
}

// Outcome is what one switch did with a case: the frames each port sent,
// or the error that kept it from running (a refused flow file).
type Outcome struct {
	Out map[string][][]byte
	Err error
}

// RunOVS runs the case directory through Open vSwitch.
func RunOVS(o *ovstest.OVS, dir string) Outcome {
	c, err := ovsreplay.LoadConfig(dir)
	if err != nil {
		return Outcome{Err: err}
	}
	inputs, err := ovsreplay.ReadInputs(dir, c)
	if err != nil {
		return Outcome{Err: err}
	}
	res, err := ovsreplay.RunOVS(o, dir, c, inputs)
	if err != nil {
		return Outcome{Err: err}
	}
	out := map[string][][]byte{}
	for port, ps := range res.Out {
		for _, p := range ps {
			out[port] = append(out[port], p.Data)
		}
	}
	return Outcome{Out: out}
}

// RunGVS runs the case directory through gvs's offline replay, writing the
// output pcaps into outDir.
func RunGVS(dir, outDir string) Outcome {
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return Outcome{Err: err}
	}
	for bi := range cfg.Bridges {
		for pi := range cfg.Bridges[bi].Ports {
			p := &cfg.Bridges[bi].Ports[pi]
			p.Options["tx"] = filepath.Join(outDir, p.Name+".pcap")
		}
	}
	if _, err := vswitch.Replay(cfg, datapath.ReplayOptions{}); err != nil {
		return Outcome{Err: err}
	}
	out := map[string][][]byte{}
	for _, p := range Ports {
		fs, err := datapath.ReadPcap(filepath.Join(outDir, p.Name+".pcap"))
		if err != nil {
			return Outcome{Err: err}
		}
		for _, f := range fs {
			out[p.Name] = append(out[p.Name], f.Data)
		}
	}
	return Outcome{Out: out}
}

// Compare describes how gvs's outcome differs from Open vSwitch's, or
// returns "" when they agree: both refused the case, or every port sent the
// same frames in the same order.
func Compare(ovs, gvs Outcome) string {
	switch {
	case ovs.Err != nil && gvs.Err != nil:
		return ""
	case ovs.Err != nil:
		return fmt.Sprintf("Open vSwitch refused the case (%v), gvs ran it", ovs.Err)
	case gvs.Err != nil:
		return fmt.Sprintf("gvs refused the case (%v), Open vSwitch ran it", gvs.Err)
	}
	var b strings.Builder
	for _, p := range Ports {
		o, g := ovs.Out[p.Name], gvs.Out[p.Name]
		for i := 0; i < max(len(o), len(g)); i++ {
			switch {
			case i >= len(o):
				fmt.Fprintf(&b, "%s frame %d: gvs sent %x, OVS nothing more\n", p.Name, i, g[i])
			case i >= len(g):
				fmt.Fprintf(&b, "%s frame %d: OVS sent %x, gvs nothing more\n", p.Name, i, o[i])
			case !bytes.Equal(o[i], g[i]):
				fmt.Fprintf(&b, "%s frame %d:\n  OVS %x\n  gvs %x\n", p.Name, i, o[i], g[i])
			}
			if b.Len() > 4000 {
				return b.String() + "...\n"
			}
		}
	}
	return b.String()
}
