package vswitch

import (
	"errors"
	"fmt"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// DeviceOpener makes the device of a configured port of a bridge. Patch
// ports have no device and are never passed to it.
type DeviceOpener func(bridge string, p config.Port) (datapath.Device, error)

// Build creates a datapath from a configuration: bridges, ports (devices
// from open), patch links and each bridge's flow file. On error, devices
// opened so far are closed.
func Build(cfg *config.Config, open DeviceOpener) (*datapath.Datapath, error) {
	dp := datapath.New()
	if err := Load(dp, cfg, open); err != nil {
		for _, b := range dp.Bridges() {
			dp.DelBridge(b.Name)
		}
		return nil, err
	}
	return dp, nil
}

// Load adds the configuration's bridges, ports and flows to dp.
func Load(dp *datapath.Datapath, cfg *config.Config, open DeviceOpener) error {
	for _, bc := range cfg.Bridges {
		mode, err := datapath.ParseFailMode(bc.FailMode)
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
		setTableLimits(b, bc.FlowTables)
		for _, pc := range bc.Ports {
			p, err := NewPort(pc)
			if err != nil {
				return fmt.Errorf("bridge %s: %w", bc.Name, err)
			}
			if err := attach(dp, bc.Name, p, pc, open); err != nil {
				var oe openError
				if errors.As(err, &oe) {
					return fmt.Errorf("bridge %s port %s: %w", bc.Name, pc.Name, oe.error)
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

// AttachPort builds the port pc describes, opens its device (none for a
// patch port) and adds it to the bridge; pc's peer option names a patch
// port's peer. On error the device is closed again. This is the one place
// a port is constructed, for the configuration file, the saved state and
// every front end.
func AttachPort(dp *datapath.Datapath, bridge string, pc config.Port, open DeviceOpener) (*datapath.Port, error) {
	p, err := NewPort(pc)
	if err != nil {
		return nil, err
	}
	if err := attach(dp, bridge, p, pc, open); err != nil {
		return nil, err
	}
	return p, nil
}

// openError is a device opener's error, told apart so that Load can name
// the port as it always has.
type openError struct{ error }

func (e openError) Unwrap() error { return e.error }

// attach opens p's device (none for a patch port) and adds p to the bridge.
func attach(dp *datapath.Datapath, bridge string, p *datapath.Port, pc config.Port, open DeviceOpener) error {
	if pc.Type.HasDevice() {
		dev, err := open(bridge, pc)
		if err != nil {
			return openError{err}
		}
		p.Dev = dev
	}
	if err := dp.AddPort(bridge, p, pc.Options["peer"]); err != nil {
		if p.Dev != nil {
			p.Dev.Close()
		}
		return err
	}
	return nil
}

// NewPort makes a Port (without device) from its configuration.
func NewPort(pc config.Port) (*datapath.Port, error) {
	p := &datapath.Port{Name: pc.Name, OFPort: flowtable.Port(pc.OFPort), Type: string(pc.Type)}
	mode, tag, hasTag, err := VLANOf(pc)
	if err != nil {
		return nil, err
	}
	p.VLANMode, p.Tag, p.HasTag = mode, tag, hasTag
	p.SetTrunks(pc.Trunks)
	return p, nil
}

// VLANOf resolves a port configuration's VLAN settings as OVSDB does (see
// datapath.ResolveVLAN).
func VLANOf(pc config.Port) (mode datapath.VLANMode, tag uint16, hasTag bool, err error) {
	mode, tag, hasTag, err = datapath.ResolveVLAN(pc.VLANMode, pc.Tag, len(pc.Trunks) > 0)
	if err != nil {
		return 0, 0, false, fmt.Errorf("port %s: %w", pc.Name, err)
	}
	return mode, tag, hasTag, nil
}

// NewConntrack returns the connection tracker gvsd and gvsd replay give
// the datapath, configured by the conntrack section of the configuration
// (zero values: Open vSwitch's defaults).
func NewConntrack(c config.Conntrack) *conntrack.Tracker {
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

// setTableLimits applies a bridge's Flow_Table limits to its tables.
func setTableLimits(b *datapath.Bridge, fts []config.FlowTable) {
	for _, ft := range fts {
		b.Flows.SetLimit(ft.Table, flowtable.TableLimit{Max: ft.FlowLimit, Evict: ft.OverflowPolicy == "evict"})
	}
}

// tableLimits lists a bridge's table limits, for the state file.
func tableLimits(b *datapath.Bridge) []config.FlowTable {
	var out []config.FlowTable
	for id := 0; id < flowtable.NumTables; id++ {
		if l := b.Flows.Limit(uint8(id)); l.Max > 0 {
			ft := config.FlowTable{Table: uint8(id), FlowLimit: l.Max}
			if l.Evict {
				ft.OverflowPolicy = "evict"
			}
			out = append(out, ft)
		}
	}
	return out
}
