package vswitch

import (
	"fmt"
	"sort"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// ReplayNATHashBasis is the basis of the hash that picks NAT addresses and
// ports in a replay (gvsd itself draws one at random, as Open vSwitch
// does), so a replay translates the same way on every run.
const ReplayNATHashBasis uint32 = 0x67767321

// Replay runs a configuration offline (gvsd replay): every pcap port's rx
// file is read, all frames are merged by timestamp (ties in configuration
// order) and each runs to completion before the next, with time taken from
// the frames. Every pcap port's tx file receives what the port
// transmitted. Ports of other kinds than pcap and patch are refused.
func Replay(cfg *config.Config, opts datapath.ReplayOptions) (*datapath.Datapath, error) {
	type named struct {
		port string
		datapath.PcapFrame
	}
	var frames []named
	for _, bc := range cfg.Bridges {
		for _, pc := range bc.Ports {
			rx := pc.Options["rx"]
			if pc.Type != config.KindPcap || rx == "" {
				continue
			}
			fs, err := datapath.ReadPcap(rx)
			if err != nil {
				return nil, fmt.Errorf("bridge %s port %s: %w", bc.Name, pc.Name, err)
			}
			for _, f := range fs {
				frames = append(frames, named{pc.Name, f})
			}
		}
	}
	// Stable: frames of equal time keep configuration, then file order.
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].Time.Before(frames[j].Time) })

	// The replay's clock is the frames': it starts at the first one, and
	// the configuration's flows are added then.
	start := time.Now()
	if len(frames) > 0 {
		start = frames[0].Time
	}
	clock := datapath.NewReplayClock(start)
	dp := datapath.New()
	dp.Clock = clock.Time
	ct := NewConntrack(cfg.Conntrack)
	ct.SetNATHashBasis(ReplayNATHashBasis)
	dp.Conntrack = ct
	err := Load(dp, cfg, func(bridge string, p config.Port) (datapath.Device, error) {
		if p.Type != config.KindPcap {
			return nil, fmt.Errorf("port type %q cannot be replayed offline (only pcap and patch)", p.Type)
		}
		if p.Options["tx"] == "" {
			return datapath.Discard(), nil
		}
		return datapath.CreatePcap(p.Options["tx"], clock.UnixNano)
	})
	if err != nil {
		datapath.CloseDevices(dp)
		return nil, err
	}
	run := make([]datapath.ReplayFrame, len(frames))
	for i, f := range frames {
		run[i] = datapath.ReplayFrame{Port: dp.PortByName(f.port), PcapFrame: f.PcapFrame}
	}
	datapath.RunReplay(dp, run, clock, opts)
	if err := datapath.CloseDevices(dp); err != nil {
		return dp, err
	}
	if opts.Summary != nil {
		datapath.WriteSummary(opts.Summary, dp)
	}
	return dp, nil
}
