package ovsdb

import (
	"fmt"
	"maps"

	"github.com/gvs-project/gvs/config"
)

// ifaceTypes are the Interface types gvs opens, in the order written to
// Open_vSwitch iface_types. "" is system, as in Open vSwitch; "dummy" is
// a pcap port whose options are Open vSwitch's dummy netdev's (pcap,
// rxq_pcap).
var ifaceTypes = []string{"afxdp", "dummy", "internal", "patch", "pcap", "system", "tap"}

// datapathTypes are the Bridge datapath_type values gvs accepts ("" is
// system, as in Open vSwitch); every bridge runs in gvs's datapath.
var datapathTypes = []string{"netdev", "system"}

// portConfig converts a Port row and its one Interface row to the core's
// configuration of the port. A row the core cannot build (an unknown
// type, an out-of-range ofport_request, a bad VLAN setting) is an error,
// written to that Interface's error column.
func portConfig(p *Port, i *Interface) (config.Port, error) {
	pc := config.Port{
		Name:             p.Name,
		ExternalIDs:      maps.Clone(p.ExternalIDs),
		OtherConfig:      maps.Clone(p.OtherConfig),
		IfaceExternalIDs: maps.Clone(i.ExternalIDs),
		IfaceOtherConfig: maps.Clone(i.OtherConfig),
	}
	if i.Name != p.Name {
		return pc, fmt.Errorf("interface %s: gvs needs a port's one interface to have the port's name %s", i.Name, p.Name)
	}
	kind, opts, err := ifaceKind(i.Type, i.Options)
	if err != nil {
		return pc, fmt.Errorf("interface %s: %w", i.Name, err)
	}
	pc.Type, pc.Options = kind, opts
	if r := i.OFPortRequest; r != nil {
		if *r < 1 || *r > config.MaxOFPort {
			return pc, fmt.Errorf("interface %s: ofport_request %d out of range 1..%d", i.Name, *r, config.MaxOFPort)
		}
		pc.OFPort = uint16(*r)
	}
	if t := p.Tag; t != nil {
		if *t < 0 || *t > 4095 {
			return pc, fmt.Errorf("port %s: tag %d out of range 0..4095", p.Name, *t)
		}
		tag := uint16(*t)
		pc.Tag = &tag
	}
	for _, v := range p.Trunks {
		if v < 0 || v > 4095 {
			return pc, fmt.Errorf("port %s: trunk VLAN %d out of range 0..4095", p.Name, v)
		}
		pc.Trunks = append(pc.Trunks, uint16(v))
	}
	if p.VLANMode != nil {
		pc.VLANMode = *p.VLANMode
	}
	if err := config.ValidatePort(pc); err != nil {
		return pc, fmt.Errorf("port %s: %w", p.Name, err)
	}
	return pc, nil
}

// ifaceKind maps an Interface type and options to the core's port kind
// and options.
func ifaceKind(typ string, options map[string]string) (config.PortKind, map[string]string, error) {
	opts := maps.Clone(options)
	switch typ {
	case "", "system":
		return config.KindSystem, opts, nil
	case "internal":
		return config.KindInternal, opts, nil
	case "tap":
		return config.KindTap, opts, nil
	case "afxdp":
		return config.KindAFXDP, opts, nil
	case "patch":
		return config.KindPatch, opts, nil
	case "pcap":
		return config.KindPcap, opts, nil
	case "dummy":
		// Open vSwitch's dummy netdev: options:pcap is the transmit
		// file, options:rxq_pcap the receive one.
		out := map[string]string{}
		for k, v := range options {
			switch k {
			case "pcap":
				out["tx"] = v
			case "rxq_pcap":
				out["rx"] = v
			default:
				return "", nil, fmt.Errorf("unknown option %q for a dummy interface (want pcap or rxq_pcap)", k)
			}
		}
		if len(out) == 0 {
			out = nil
		}
		return config.KindPcap, out, nil
	}
	return "", nil, fmt.Errorf("interface type %q is not supported (want one of %v)", typ, ifaceTypes)
}

// configName is a configuration holding only a name.
func configName(name string) config.Port { return config.Port{Name: name} }
