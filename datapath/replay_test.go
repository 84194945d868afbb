package datapath

import (
	"fmt"
	"sort"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/flowtable"
)

// The assembly of a datapath from a configuration lives in package vswitch,
// which imports datapath, so this package's tests cannot call it. These
// test-only stand-ins give the internal tests (conntrack_test.go,
// semantics_test.go) what they used before; vswitch's replay tests check
// the real gvsd replay against Open vSwitch.

// NewConntrack returns a connection tracker with Open vSwitch's defaults.
func NewConntrack() *conntrack.Tracker { return conntrack.New(conntrack.Config{}) }

// Replay runs a configuration of pcap and patch ports offline, as gvsd
// replay does, with default conntrack settings.
func Replay(cfg *config.Config, opts ReplayOptions) (*Datapath, error) {
	dp := New()
	dp.Conntrack = NewConntrack()
	var frames []ReplayFrame
	for _, bc := range cfg.Bridges {
		mode, err := ParseFailMode(bc.FailMode)
		if err != nil {
			return nil, err
		}
		if _, err := dp.AddBridge(bc.Name, mode); err != nil {
			return nil, err
		}
		for _, pc := range bc.Ports {
			p := &Port{Name: pc.Name, OFPort: flowtable.Port(pc.OFPort), Type: string(pc.Type), Dev: Discard()}
			if p.VLANMode, p.Tag, p.HasTag, err = ResolveVLAN(pc.VLANMode, pc.Tag, len(pc.Trunks) > 0); err != nil {
				return nil, err
			}
			p.SetTrunks(pc.Trunks)
			if pc.Type == config.KindPatch {
				p.Dev = nil
			} else if pc.Type != config.KindPcap {
				return nil, fmt.Errorf("port %s: type %s", pc.Name, pc.Type)
			}
			if err := dp.AddPort(bc.Name, p, pc.Options["peer"]); err != nil {
				return nil, err
			}
			if rx := pc.Options["rx"]; rx != "" {
				fs, err := ReadPcap(rx)
				if err != nil {
					return nil, err
				}
				for _, f := range fs {
					frames = append(frames, ReplayFrame{Port: p, PcapFrame: f})
				}
			}
		}
	}
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].Time.Before(frames[j].Time) })
	if len(frames) == 0 {
		return dp, nil
	}
	clock := NewReplayClock(frames[0].Time)
	dp.Clock = clock.Time
	for _, bc := range cfg.Bridges {
		if bc.Flows != "" {
			if err := dp.LoadFlowFile(bc.Name, bc.Flows); err != nil {
				return nil, err
			}
		}
	}
	RunReplay(dp, frames, clock, opts)
	return dp, nil
}
