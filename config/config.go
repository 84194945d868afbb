// Package config reads the gvs YAML configuration shared by the daemon and
// `gvsd replay`: daemon settings and bridges with their ports and flow
// files.
//
//	socket: /run/gvs/gvsd.sock
//	socket_group: gvs
//	metrics: 127.0.0.1:9475
//	log: {level: info, format: json}
//	state_dir: /var/lib/gvs
//	bridges:
//	  - name: br-int
//	    fail_mode: secure
//	    flows: br-int.flows
//	    mac_table_size: 8192
//	    mac_aging_time: 300
//	    ports:
//	      - {name: vm1, ofport: 5, type: pcap, tag: 1, options: {rx: vm1-in.pcap, tx: vm1-out.pcap}}
//	      - {name: trunk0, ofport: 2, type: pcap, trunks: [196, 148], options: {rx: t-in.pcap}}
//	      - {name: int-br-vlan, ofport: 1, type: patch, options: {peer: phy-br-vlan}}
//
// Load rejects unknown keys and inconsistent settings with errors naming
// the file, line, bridge, port and key.
package config

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Defaults of the daemon settings.
const (
	DefaultSocket  = "/run/gvs/gvsd.sock"
	DefaultMetrics = "127.0.0.1:9475"
)

// DefaultPcapDir is the pcap directory when neither pcap_dir nor
// state_dir is set.
const DefaultPcapDir = "/var/lib/gvs/pcap"

// PcapDirectory returns the absolute directory that confines the rx and
// tx files of pcap ports named over the control socket by callers other
// than root: pcap_dir, else <state_dir>/pcap, else DefaultPcapDir.
func (c *Config) PcapDirectory() (string, error) {
	d := c.PcapDir
	switch {
	case d != "":
	case c.StateDir != "":
		d = c.StateDir + "/pcap"
	default:
		d = DefaultPcapDir
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		return "", fmt.Errorf("pcap_dir %s: %w", d, err)
	}
	return abs, nil
}

// MaxOFPort is the highest OpenFlow port number a port may have
// (OFPP_MAX in OpenFlow 1.0, as Open vSwitch limits ofport_request).
const MaxOFPort = 0xff00 - 1

// Config is a whole configuration.
type Config struct {
	Socket      string    `yaml:"socket"`       // control socket path
	SocketGroup string    `yaml:"socket_group"` // group allowed on the socket besides root; "" = root only
	Metrics     string    `yaml:"metrics"`      // Prometheus listen address; "" = disabled
	Log         LogConfig `yaml:"log"`
	StateDir    string    `yaml:"state_dir"` // where state persists; "" = nowhere
	// PcapDir confines the pcap files callers of the control socket name
	// (see PcapDirectory); "" = the default.
	PcapDir string `yaml:"pcap_dir"`
	// LocalPorts gives every bridge's LOCAL port a host interface named
	// after the bridge (an internal TAP), as Open vSwitch does.
	LocalPorts bool      `yaml:"local_ports"`
	Conntrack  Conntrack `yaml:"conntrack"` // connection tracker limits and timeouts
	Bridges    []Bridge  `yaml:"bridges"`
}

// LogConfig configures the daemon's logger.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error ("" = info)
	Format string `yaml:"format"` // json or console ("" = json)
}

// Bridge is one configured bridge.
type Bridge struct {
	Name     string `yaml:"name"`
	FailMode string `yaml:"fail_mode"` // secure or standalone ("" = standalone)
	// Flows is the bridge's ovs-ofctl add-flows file, "" for none. Load
	// resolves it against the configuration file's directory.
	Flows string `yaml:"flows"`
	// MACTableSize and MACAgingTime limit the NORMAL learning table; 0 =
	// the default (8192 entries, 300 s). In YAML mac_aging_time is a
	// number of seconds, as OVS's other_config:mac-aging-time, or a Go
	// duration string such as "5m".
	MACTableSize int           `yaml:"mac_table_size"`
	MACAgingTime time.Duration `yaml:"mac_aging_time"`
	// FlowTables limits OpenFlow tables, as Open vSwitch's Flow_Table
	// records (Bridge flow_tables) do.
	FlowTables []FlowTable `yaml:"flow_tables"`
	Ports      []Port      `yaml:"ports"`
}

// FlowTable is the limit of one OpenFlow table, as Open vSwitch's
// Flow_Table flow_limit and overflow_policy. It is also persisted as JSON
// in the state file.
type FlowTable struct {
	Table     uint8 `yaml:"table" json:"table"`
	FlowLimit int   `yaml:"flow_limit" json:"flow_limit"`
	// OverflowPolicy is refuse (the default) or evict.
	OverflowPolicy string `yaml:"overflow_policy" json:"overflow_policy,omitempty"`
}

// Port is one configured port. It is also persisted as JSON in the state
// file, under the same names as in YAML.
type Port struct {
	Name string `yaml:"name" json:"name"`
	// OFPort is the OpenFlow port number, 1..MaxOFPort; 0 = the lowest
	// free one.
	OFPort uint16 `yaml:"ofport,omitempty" json:"ofport,omitempty"`
	// Type is pcap, patch, tap, afxdp, system or internal.
	Type PortKind `yaml:"type" json:"type"`
	// Tag is the access VLAN, or the native VLAN of native-* modes.
	Tag *uint16 `yaml:"tag,omitempty" json:"tag,omitempty"`
	// Trunks are the VLANs of a trunk port; none = all.
	Trunks []uint16 `yaml:"trunks,omitempty" json:"trunks,omitempty"`
	// VLANMode is access, trunk, native-tagged or native-untagged as in
	// OVSDB; "" = access with a tag, trunk without.
	VLANMode string `yaml:"vlan_mode,omitempty" json:"vlan_mode,omitempty"`
	// Options are type specific: pcap rx and tx (files; Load resolves
	// them), patch peer (the other patch port's name).
	Options map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
	// ExternalIDs and OtherConfig are the Port record's columns of those
	// names, IfaceExternalIDs and IfaceOtherConfig its Interface's (where
	// Neutron keeps iface-id, attached-mac, vm-uuid): kept, not
	// interpreted.
	ExternalIDs      map[string]string `yaml:"external_ids,omitempty" json:"external_ids,omitempty"`
	OtherConfig      map[string]string `yaml:"other_config,omitempty" json:"other_config,omitempty"`
	IfaceExternalIDs map[string]string `yaml:"iface_external_ids,omitempty" json:"iface_external_ids,omitempty"`
	IfaceOtherConfig map[string]string `yaml:"iface_other_config,omitempty" json:"iface_other_config,omitempty"`
}

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default configuration file.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Default returns the embedded default configuration: one standalone
// bridge br-int without ports, the default socket and metrics address.
func Default() *Config {
	c, err := Parse(defaultYAML, "")
	if err != nil {
		// The embedded file is part of the program and tested.
		panic("config: embedded default.yaml: " + err.Error())
	}
	return c
}

// Error is a configuration error with where it was found.
type Error struct {
	File   string // configuration file, if any
	Line   int    // line in File, 0 if unknown
	Bridge string // bridge name, if inside a bridge
	Port   string // port name, if inside a port
	Key    string // offending key, such as "tag" or "options.peer"
	Msg    string // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString("config " + e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "config line %d: ", e.Line)
	}
	if e.Bridge != "" {
		fmt.Fprintf(&b, "bridge %q: ", e.Bridge)
	}
	if e.Port != "" {
		fmt.Fprintf(&b, "port %q: ", e.Port)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// PortKind is a port's type as OVSDB names it: what its device is.
type PortKind string

// The port kinds gvs knows.
const (
	KindPcap     PortKind = "pcap"     // frames from an rx pcap file, to a tx pcap file
	KindPatch    PortKind = "patch"    // linked to a patch port of another bridge; no device
	KindTap      PortKind = "tap"      // a tap device gvs creates (a VM's interface)
	KindAFXDP    PortKind = "afxdp"    // an existing interface through an AF_XDP socket
	KindSystem   PortKind = "system"   // an existing interface through a packet socket
	KindInternal PortKind = "internal" // a host interface gvs creates for the bridge
)

// Known reports whether k is one of the kinds above.
func (k PortKind) Known() bool { return portTypes[k] }

// HasDevice reports whether a port of kind k has a device (all but patch).
func (k PortKind) HasDevice() bool { return k != KindPatch }

// Port types.
var portTypes = map[PortKind]bool{KindPcap: true, KindPatch: true, KindTap: true, KindAFXDP: true, KindSystem: true, KindInternal: true}

// portOptions lists the options each type accepts; types not listed
// accept any.
var portOptions = map[PortKind][]string{KindPcap: {"rx", "tx"}, KindPatch: {"peer"}}

var vlanModes = map[string]bool{"access": true, "trunk": true, "native-tagged": true, "native-untagged": true}

// ValidatePort checks one port's settings on their own: name, type, ofport,
// VLAN settings and options. (Whether a patch peer exists, or files exist,
// is for Load.) Errors are *Error with Port and Key set.
func ValidatePort(p Port) error {
	bad := func(key, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if key != "" {
			msg = key + ": " + msg
		}
		return &Error{Port: p.Name, Key: key, Msg: msg}
	}
	if p.Name == "" {
		return bad("name", "a port needs a name")
	}
	if strings.ContainsAny(p.Name, " \t\n/,=:") {
		return bad("name", "%q contains a space or one of /,=:", p.Name)
	}
	if !portTypes[p.Type] {
		return bad("type", "unknown port type %q (want pcap, patch, tap, afxdp, system or internal)", p.Type)
	}
	if p.OFPort > MaxOFPort {
		return bad("ofport", "%d out of range 1..%d", p.OFPort, MaxOFPort)
	}
	if p.VLANMode != "" && !vlanModes[p.VLANMode] {
		return bad("vlan_mode", "unknown vlan_mode %q (want access, trunk, native-tagged or native-untagged)", p.VLANMode)
	}
	if p.Tag != nil && *p.Tag > 4095 {
		return bad("tag", "%d out of range 0..4095", *p.Tag)
	}
	for _, v := range p.Trunks {
		if v > 4095 {
			return bad("trunks", "VLAN %d out of range 0..4095", v)
		}
	}
	switch {
	case p.Tag != nil && p.VLANMode == "trunk":
		return bad("tag", "a tag cannot be used with vlan_mode trunk (use native-tagged or native-untagged)")
	case len(p.Trunks) > 0 && p.VLANMode == "access":
		return bad("trunks", "trunks cannot be used with vlan_mode access")
	case p.Tag != nil && len(p.Trunks) > 0 && p.VLANMode == "":
		return bad("vlan_mode", "a tag together with trunks needs vlan_mode native-tagged or native-untagged")
	}
	if allowed, ok := portOptions[p.Type]; ok {
		for k := range p.Options {
			if !contains(allowed, k) {
				return bad("options."+k, "unknown option %q for a %s port (want %s)", k, p.Type, strings.Join(allowed, " or "))
			}
		}
	}
	if p.Type == KindPatch {
		switch peer := p.Options["peer"]; {
		case peer == "":
			return bad("options.peer", "a patch port needs options.peer")
		case peer == p.Name:
			return bad("options.peer", "a patch port cannot be its own peer")
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
