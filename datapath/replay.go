package datapath

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/flowtable"
)

// ReplayOptions control an offline replay.
type ReplayOptions struct {
	Trace     io.Writer // if set, an ofproto/trace style explanation per packet
	DumpFlows io.Writer // if set, every bridge's flow table at the end
	Summary   io.Writer // if set, per-port counters and drop reasons at the end
}

// discard is the device of a pcap port without a tx file.
type discard struct{}

func (discard) Send([]byte) error { return nil }
func (discard) Close() error      { return nil }

// Discard returns a device that accepts and forgets every frame.
func Discard() Device { return discard{} }

type replayFrame struct {
	name  string // the pcap port it is received on
	port  *Port
	order int // config order of the port, then frame order: ties keep it
	PcapFrame
}

// Replay runs a configuration offline: every pcap port's rx file is read,
// all frames are merged by timestamp (ties in configuration order) and each
// runs to completion before the next, with time taken from the frames.
// Every pcap port's tx file receives what the port transmitted.
func Replay(cfg *config.Config, opts ReplayOptions) (*Datapath, error) {
	var frames []replayFrame
	order := 0
	for _, bc := range cfg.Bridges {
		for _, pc := range bc.Ports {
			rx := pc.Options["rx"]
			if pc.Type != "pcap" || rx == "" {
				continue
			}
			fs, err := ReadPcap(rx)
			if err != nil {
				return nil, fmt.Errorf("bridge %s port %s: %w", bc.Name, pc.Name, err)
			}
			for _, f := range fs {
				frames = append(frames, replayFrame{name: pc.Name, order: order, PcapFrame: f})
				order++
			}
		}
	}
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].Time.Before(frames[j].Time) })

	// The replay's clock is the frames': it starts at the first one, and
	// the configuration's flows are added then.
	now := time.Now().UnixNano()
	if len(frames) > 0 {
		now = frames[0].Time.UnixNano()
	}
	clock := func() int64 { return now }
	dp := New()
	dp.Clock = func() time.Time { return time.Unix(0, now) }
	dp.Conntrack = NewConntrackFrom(cfg.Conntrack)
	err := dp.Load(cfg, func(bridge string, p config.Port) (Device, error) {
		if p.Type != "pcap" {
			return nil, fmt.Errorf("port type %q cannot be replayed offline (only pcap and patch)", p.Type)
		}
		if p.Options["tx"] == "" {
			return discard{}, nil
		}
		return CreatePcap(p.Options["tx"], clock)
	})
	if err != nil {
		closeAll(dp)
		return nil, err
	}
	for i := range frames {
		frames[i].port = dp.PortByName(frames[i].name)
	}

	w := dp.NewWorker()
	w.Now = clock
	if opts.Trace != nil {
		w.Trace = func(s string) { io.WriteString(opts.Trace, s) }
	}
	buf := make([]byte, Headroom+maxFrame)
	var lastExpire int64
	for i, f := range frames {
		now = f.Time.UnixNano()
		if now-lastExpire >= int64(time.Second) {
			for _, b := range dp.Bridges() {
				b.Flows.Expire(f.Time)
			}
			lastExpire = now
		}
		if opts.Trace != nil {
			fmt.Fprintf(opts.Trace, "\n#%d %s received on %s (%d bytes)\n", i+1, f.Time.UTC().Format(time.RFC3339Nano), f.port.Name, len(f.Data))
		}
		n := copy(buf[Headroom:], f.Data)
		w.Receive(f.port, buf, Headroom, n)
	}
	if opts.DumpFlows != nil {
		for _, b := range dp.Bridges() {
			fmt.Fprintf(opts.DumpFlows, "bridge %s:\n", b.Name)
			for _, fl := range b.Flows.Flows(nil) {
				fmt.Fprintln(opts.DumpFlows, fl.Format(flowtable.FormatOptions{Now: time.Unix(0, now)}))
			}
		}
	}
	if err := closeAll(dp); err != nil {
		return dp, err
	}
	if opts.Summary != nil {
		WriteSummary(opts.Summary, dp)
	}
	return dp, nil
}

func closeAll(dp *Datapath) error {
	var first error
	for _, b := range dp.Bridges() {
		for _, p := range b.Ports() {
			if p.Dev != nil {
				if err := p.Dev.Close(); err != nil && first == nil {
					first = fmt.Errorf("port %s: %w", p.Name, err)
				}
			}
		}
	}
	return first
}

// WriteSummary prints every port's counters and every bridge's drops.
func WriteSummary(out io.Writer, dp *Datapath) {
	for _, b := range dp.Bridges() {
		fmt.Fprintf(out, "bridge %s (fail_mode %s)\n", b.Name, b.FailMode)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  port\tofport\trx_packets\trx_bytes\ttx_packets\ttx_bytes\trx_dropped\ttx_dropped\t")
		for _, p := range b.Ports() {
			s := &p.Stats
			no := fmt.Sprint(p.OFPort)
			if p == b.Local {
				no = "LOCAL"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", p.Name, no, s.RxPackets.Load(), s.RxBytes.Load(),
				s.TxPackets.Load(), s.TxBytes.Load(), s.RxDropped.Load(), s.TxDropped.Load())
		}
		tw.Flush()
		var drops []string
		for _, r := range DropReasons() {
			if n := b.Drops(r); n > 0 {
				drops = append(drops, fmt.Sprintf("%s=%d", r, n))
			}
		}
		if len(drops) == 0 {
			drops = []string{"none"}
		}
		fmt.Fprintf(out, "  drops: %s\n  malformed: %d\n", strings.Join(drops, " "), b.Malformed.Load())
	}
}
