package datapath

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gvs-project/gvs/flowtable"
)

// ReplayOptions control an offline replay (RunReplay).
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

// ReplayFrame is a frame of an offline replay and the port it arrives on.
type ReplayFrame struct {
	Port *Port
	PcapFrame
}

// ReplayClock is the clock of an offline replay: the time of the frame
// being replayed. The datapath and the pcap devices of a replay read it.
type ReplayClock struct{ ns int64 }

// NewReplayClock returns a clock set to t.
func NewReplayClock(t time.Time) *ReplayClock { return &ReplayClock{ns: t.UnixNano()} }

// UnixNano returns the clock's time in nanoseconds.
func (c *ReplayClock) UnixNano() int64 { return c.ns }

// Time returns the clock's time.
func (c *ReplayClock) Time() time.Time { return time.Unix(0, c.ns) }

// RunReplay runs frames through dp in the order given, each to completion
// before the next, setting clock to each frame's time; flows expire once a
// second of frame time. At the end it prints the flow tables if asked. It
// neither closes devices nor prints the summary (see CloseDevices and
// WriteSummary).
func RunReplay(dp *Datapath, frames []ReplayFrame, clock *ReplayClock, opts ReplayOptions) {
	w := dp.NewWorker()
	w.Now = clock.UnixNano
	if opts.Trace != nil {
		w.Trace = func(s string) { io.WriteString(opts.Trace, s) }
	}
	buf := make([]byte, Headroom+maxFrame)
	var lastExpire int64
	for i, f := range frames {
		clock.ns = f.Time.UnixNano()
		if clock.ns-lastExpire >= int64(time.Second) {
			for _, b := range dp.Bridges() {
				b.Flows.Expire(f.Time)
			}
			lastExpire = clock.ns
		}
		if opts.Trace != nil {
			fmt.Fprintf(opts.Trace, "\n#%d %s received on %s (%d bytes)\n", i+1, f.Time.UTC().Format(time.RFC3339Nano), f.Port.Name, len(f.Data))
		}
		n := copy(buf[Headroom:], f.Data)
		w.Receive(f.Port, buf, Headroom, n)
	}
	if opts.DumpFlows != nil {
		for _, b := range dp.Bridges() {
			fmt.Fprintf(opts.DumpFlows, "bridge %s:\n", b.Name)
			for _, fl := range b.Flows.Flows(nil) {
				fmt.Fprintln(opts.DumpFlows, fl.Format(flowtable.FormatOptions{Now: clock.Time()}))
			}
		}
	}
}

// CloseDevices closes the device of every port of dp, returning the first
// error.
func CloseDevices(dp *Datapath) error {
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
