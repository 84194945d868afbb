package datapath

import (
	"fmt"
	"os"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/flowtable"
)

// DeviceOpener makes the device of a configured port of a bridge. Patch
// ports have no device and are never passed to it.
type DeviceOpener func(bridge string, p config.Port) (Device, error)

// Build creates a datapath from a configuration: bridges, ports (devices
// from open), patch links and each bridge's flow file. On error, devices
// opened so far are closed.
func Build(cfg *config.Config, open DeviceOpener) (*Datapath, error) {
	dp := New()
	if err := dp.Load(cfg, open); err != nil {
		for _, b := range dp.Bridges() {
			dp.DelBridge(b.Name)
		}
		return nil, err
	}
	return dp, nil
}

// Load adds the configuration's bridges, ports and flows to dp.
func (dp *Datapath) Load(cfg *config.Config, open DeviceOpener) error {
	for _, bc := range cfg.Bridges {
		mode, err := ParseFailMode(bc.FailMode)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", bc.Name, err)
		}
		b, err := dp.AddBridge(bc.Name, mode)
		if err != nil {
			return err
		}
		if bc.MACTableSize > 0 || bc.MACAgingTime > 0 {
			b.FDB.SetLimits(bc.MACTableSize, bc.MACAgingTime)
		}
		for _, pc := range bc.Ports {
			p, err := NewPort(pc)
			if err != nil {
				return fmt.Errorf("bridge %s: %w", bc.Name, err)
			}
			if pc.Type != "patch" {
				dev, err := open(bc.Name, pc)
				if err != nil {
					return fmt.Errorf("bridge %s port %s: %w", bc.Name, pc.Name, err)
				}
				p.Dev = dev
			}
			if err := dp.AddPort(bc.Name, p, pc.Options["peer"]); err != nil {
				if p.Dev != nil {
					p.Dev.Close()
				}
				return err
			}
		}
	}
	for _, bc := range cfg.Bridges {
		if bc.Flows == "" {
			continue
		}
		if err := dp.LoadFlowFile(bc.Name, bc.Flows); err != nil {
			return err
		}
	}
	return nil
}

// NewPort makes a Port (without device) from its configuration.
func NewPort(pc config.Port) (*Port, error) {
	p := &Port{Name: pc.Name, OFPort: flowtable.Port(pc.OFPort), Type: pc.Type}
	mode, tag, hasTag, err := VLANOf(pc)
	if err != nil {
		return nil, err
	}
	p.VLANMode, p.Tag, p.HasTag = mode, tag, hasTag
	p.SetTrunks(pc.Trunks)
	return p, nil
}

// VLANOf resolves a port configuration's VLAN settings as OVSDB does: an
// explicit vlan_mode, else access when only a tag is set, else trunk.
func VLANOf(pc config.Port) (mode VLANMode, tag uint16, hasTag bool, err error) {
	if pc.Tag != nil {
		tag, hasTag = *pc.Tag, true
	}
	switch {
	case pc.VLANMode != "":
		if mode, err = ParseVLANMode(pc.VLANMode); err != nil {
			return 0, 0, false, fmt.Errorf("port %s: %w", pc.Name, err)
		}
	case hasTag && len(pc.Trunks) == 0:
		mode = VLANAccess
	default:
		mode = VLANTrunk
	}
	return mode, tag, hasTag, nil
}

// LoadFlowFile adds the flows of an ovs-ofctl add-flows file to a bridge,
// all or nothing. Port names in the file resolve against the bridge.
func (dp *Datapath) LoadFlowFile(bridge, path string) error {
	b := dp.Bridge(bridge)
	if b == nil {
		return fmt.Errorf("load flows: no bridge %s", bridge)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bridge %s: load flows: %w", bridge, err)
	}
	defer f.Close()
	now := dp.now()
	mods, err := flowtable.ParseFlowsWith(f, flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort, Now: now})
	if err != nil {
		return fmt.Errorf("bridge %s: %s: %w", bridge, path, err)
	}
	if err := b.Flows.Apply(mods, now); err != nil {
		return fmt.Errorf("bridge %s: %s: %w", bridge, path, err)
	}
	return nil
}

// ResolvePort maps a port name used in a flow to its OpenFlow number.
func (b *Bridge) ResolvePort(name string) (flowtable.Port, bool) {
	if p := b.PortByName(name); p != nil {
		return p.OFPort, true
	}
	return 0, false
}

// PortName maps an OpenFlow port number of the bridge to its name.
func (b *Bridge) PortName(n flowtable.Port) (string, bool) {
	if p := b.Port(n); p != nil && p != b.Local {
		return p.Name, true
	}
	return "", false
}

// NewConntrack returns a connection tracker with Open vSwitch's defaults.
func NewConntrack() *conntrack.Tracker { return conntrack.New(conntrack.Config{}) }

// NewConntrackFrom returns the connection tracker gvsd and gvsd replay
// give the datapath, configured by the conntrack section of the
// configuration (zero values: Open vSwitch's defaults).
func NewConntrackFrom(c config.Conntrack) *conntrack.Tracker {
	tm := c.Timeouts
	return conntrack.New(conntrack.Config{
		MaxEntries: c.MaxEntries, ZoneLimits: c.ZoneLimits, Liberal: c.TCPLiberal,
		Timeouts: conntrack.Timeouts{
			TCPFirstPacket: tm["tcp_first_packet"], TCPOpening: tm["tcp_opening"], TCPEstablished: tm["tcp_established"],
			TCPClosing: tm["tcp_closing"], TCPFinWait: tm["tcp_fin_wait"], TCPClosed: tm["tcp_closed"],
			OtherFirst: tm["other_first"], OtherMultiple: tm["other_multiple"], OtherBidir: tm["other_bidir"],
			ICMPFirst: tm["icmp_first"], ICMPReply: tm["icmp_reply"],
		},
	})
}
