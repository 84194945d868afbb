package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads, checks and returns the configuration file at path. The
// flows file of each bridge and the rx/tx files of pcap ports are resolved
// against the file's directory (absolute paths are kept); Options is
// non-nil for every port.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse is Load for a configuration already read from file (which names
// it in errors and anchors its relative paths; "" = the current
// directory).
func Parse(data []byte, file string) (*Config, error) {
	dir := "."
	if file != "" {
		dir = filepath.Dir(file)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	l := &loader{file: file, dir: dir}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{File: l.name(), Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	cfg := &Config{Socket: DefaultSocket, Metrics: DefaultMetrics}
	if err := l.config(&root, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

type loader struct {
	file, dir string
	bridge    string // names for errors
	port      string
}

func (l *loader) name() string {
	if l.file == "" {
		return "<default>"
	}
	return l.file
}

func (l *loader) errAt(n *yaml.Node, key, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{File: l.name(), Bridge: l.bridge, Port: l.port, Key: key, Msg: msg}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fields walks a mapping node, calling f for each key in order. Unknown
// and repeated keys are errors. what names the mapping for messages.
func (l *loader) fields(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node) error) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return l.errAt(n, "", "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return l.errAt(k, "", "%s: keys must be plain strings", what)
		}
		key := k.Value
		if !contains(known, key) {
			return l.errAt(k, key, "unknown key %q", key)
		}
		if seen[key] {
			return l.errAt(k, key, "duplicate key %q", key)
		}
		seen[key] = true
		if err := f(key, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) str(key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", l.errAt(v, key, "%s: want a string", key)
	}
	if v.Tag == "!!null" {
		return "", nil
	}
	return v.Value, nil
}

func (l *loader) boolean(key string, v *yaml.Node) (bool, error) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		return false, l.errAt(v, key, "%s: want true or false, not %s", key, describe(v))
	}
	var b bool
	err := v.Decode(&b)
	return b, err
}

func (l *loader) integer(key string, v *yaml.Node, lo, hi int64) (int64, error) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		return 0, l.errAt(v, key, "%s: want an integer, not %s", key, describe(v))
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
	if err != nil || i < lo || i > hi {
		return 0, l.errAt(v, key, "%s: %s out of range %d..%d", key, v.Value, lo, hi)
	}
	return i, nil
}

func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(v.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "this"
}

func (l *loader) config(root *yaml.Node, cfg *Config) error {
	if root.Kind == 0 { // empty document
		return nil
	}
	doc := root
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	known := []string{"socket", "socket_group", "metrics", "log", "state_dir", "pcap_dir", "local_ports", "conntrack", "bridges"}
	err := l.fields(doc, "the configuration", known, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "socket":
			if cfg.Socket, err = l.str(key, v); err == nil && cfg.Socket == "" {
				err = l.errAt(v, key, "socket: must not be empty")
			}
		case "socket_group":
			cfg.SocketGroup, err = l.str(key, v)
		case "metrics":
			cfg.Metrics, err = l.str(key, v)
		case "state_dir":
			cfg.StateDir, err = l.str(key, v)
		case "pcap_dir":
			if cfg.PcapDir, err = l.str(key, v); err == nil && cfg.PcapDir != "" {
				cfg.PcapDir = l.resolve(cfg.PcapDir)
			}
		case "local_ports":
			cfg.LocalPorts, err = l.boolean(key, v)
		case "log":
			err = l.log(v, &cfg.Log)
		case "conntrack":
			err = l.conntrack(v, &cfg.Conntrack)
		case "bridges":
			err = l.bridges(v, cfg)
		}
		return err
	})
	if err != nil {
		return err
	}
	return l.crossCheck(doc, cfg)
}

func (l *loader) log(n *yaml.Node, lc *LogConfig) error {
	return l.fields(n, "log", []string{"level", "format"}, func(key string, k, v *yaml.Node) error {
		s, err := l.str("log."+key, v)
		if err != nil {
			return err
		}
		switch key {
		case "level":
			switch strings.ToLower(s) {
			case "", "debug", "info", "warn", "error", "dpanic", "panic", "fatal":
			default:
				return l.errAt(v, "log.level", "log.level: unknown level %q (want debug, info, warn or error)", s)
			}
			lc.Level = s
		case "format":
			if s != "" && s != "json" && s != "console" {
				return l.errAt(v, "log.format", "log.format: unknown format %q (want json or console)", s)
			}
			lc.Format = s
		}
		return nil
	})
}

func (l *loader) bridges(n *yaml.Node, cfg *Config) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errAt(n, "bridges", "bridges: want a list of bridges")
	}
	names := map[string]int{}
	for i, bn := range n.Content {
		bn = deref(bn)
		l.bridge, l.port = bridgeName(bn, i), ""
		var b Bridge
		if err := l.bridgeConfig(bn, &b); err != nil {
			return err
		}
		if b.Name == "" {
			return l.errAt(bn, "name", "name: a bridge needs a name")
		}
		if line, dup := names[b.Name]; dup {
			return l.errAt(bn, "name", "duplicate bridge name (first defined on line %d)", line)
		}
		names[b.Name] = bn.Line
		cfg.Bridges = append(cfg.Bridges, b)
	}
	l.bridge, l.port = "", ""
	return nil
}

// bridgeName finds a bridge's name before it is decoded, for errors.
func bridgeName(n *yaml.Node, i int) string {
	if v := lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
		return v.Value
	}
	return fmt.Sprintf("#%d", i+1)
}

// lookup returns the value of key in a mapping node, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

func (l *loader) bridgeConfig(n *yaml.Node, b *Bridge) error {
	known := []string{"name", "fail_mode", "flows", "mac_table_size", "mac_aging_time", "flow_tables", "ports"}
	var portsNode *yaml.Node
	err := l.fields(n, "a bridge", known, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "name":
			b.Name, err = l.str(key, v)
		case "fail_mode":
			if b.FailMode, err = l.str(key, v); err == nil {
				switch b.FailMode {
				case "", "secure", "standalone":
				default:
					err = l.errAt(v, key, "fail_mode: unknown fail_mode %q (want secure or standalone)", b.FailMode)
				}
			}
		case "flows":
			var f string
			if f, err = l.str(key, v); err == nil && f != "" {
				b.Flows = l.resolve(f)
				err = l.checkFile(v, key, "flows file", b.Flows)
			}
		case "mac_table_size":
			var i int64
			i, err = l.integer(key, v, 0, 1<<24)
			b.MACTableSize = int(i)
		case "mac_aging_time":
			b.MACAgingTime, err = l.duration(key, v)
		case "flow_tables":
			b.FlowTables, err = l.flowTables(v)
		case "ports":
			portsNode = v
		}
		return err
	})
	if err != nil || portsNode == nil {
		return err
	}
	return l.ports(portsNode, b)
}

// flowTables reads a bridge's list of table limits.
func (l *loader) flowTables(n *yaml.Node) ([]FlowTable, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, l.errAt(n, "flow_tables", "flow_tables: want a list of {table, flow_limit, overflow_policy}")
	}
	var out []FlowTable
	seen := map[uint8]bool{}
	for _, tn := range n.Content {
		var ft FlowTable
		err := l.fields(deref(tn), "a flow table", []string{"table", "flow_limit", "overflow_policy"}, func(key string, k, v *yaml.Node) error {
			var i int64
			var err error
			switch key {
			case "table":
				i, err = l.integer(key, v, 0, 254)
				ft.Table = uint8(i)
			case "flow_limit":
				i, err = l.integer(key, v, 0, 1<<31-1)
				ft.FlowLimit = int(i)
			case "overflow_policy":
				if ft.OverflowPolicy, err = l.str(key, v); err == nil && ft.OverflowPolicy != "refuse" && ft.OverflowPolicy != "evict" {
					err = l.errAt(v, key, "overflow_policy: want refuse or evict, not %q", ft.OverflowPolicy)
				}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if seen[ft.Table] {
			return nil, l.errAt(tn, "flow_tables", "flow_tables: table %d is listed twice", ft.Table)
		}
		seen[ft.Table] = true
		out = append(out, ft)
	}
	return out, nil
}

// duration reads whole seconds (as OVS mac-aging-time) or a duration
// string such as "90s" or "5m".
func (l *loader) duration(key string, v *yaml.Node) (time.Duration, error) {
	const maxSeconds = math.MaxInt64 / int64(time.Second)
	if v.Kind == yaml.ScalarNode && v.Tag == "!!int" {
		s, err := l.integer(key, v, 0, maxSeconds)
		return time.Duration(s) * time.Second, err
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
		d, err := time.ParseDuration(v.Value)
		if err == nil && d >= 0 {
			return d, nil
		}
	}
	return 0, l.errAt(v, key, "%s: want seconds or a duration such as 5m, not %s", key, describe(v))
}

func (l *loader) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

func (l *loader) checkFile(v *yaml.Node, key, what, path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return l.errAt(v, key, "%s: %s %s does not exist", key, what, path)
	case err != nil:
		return l.errAt(v, key, "%s: %v", key, err)
	case st.IsDir():
		return l.errAt(v, key, "%s: %s %s is a directory", key, what, path)
	}
	return nil
}

func (l *loader) ports(n *yaml.Node, b *Bridge) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return l.errAt(n, "ports", "ports: want a list of ports")
	}
	for i, pn := range n.Content {
		pn = deref(pn)
		l.port = fmt.Sprintf("#%d", i+1)
		if v := lookup(pn, "name"); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			l.port = v.Value
		}
		p, err := l.portConfig(pn)
		if err != nil {
			return err
		}
		b.Ports = append(b.Ports, p)
	}
	l.port = ""
	return nil
}

func (l *loader) portConfig(n *yaml.Node) (Port, error) {
	p := Port{Type: KindSystem}
	known := []string{"name", "ofport", "type", "tag", "trunks", "vlan_mode", "options"}
	err := l.fields(n, "a port", known, func(key string, k, v *yaml.Node) error {
		var err error
		var i int64
		switch key {
		case "name":
			p.Name, err = l.str(key, v)
		case "type":
			var t string
			t, err = l.str(key, v)
			p.Type = PortKind(t)
		case "vlan_mode":
			p.VLANMode, err = l.str(key, v)
		case "ofport":
			i, err = l.integer(key, v, 1, MaxOFPort)
			p.OFPort = uint16(i)
		case "tag":
			i, err = l.integer(key, v, 0, 4095)
			t := uint16(i)
			p.Tag = &t
		case "trunks":
			if v.Kind != yaml.SequenceNode {
				return l.errAt(v, key, "trunks: want a list of VLANs")
			}
			p.Trunks = []uint16{}
			for _, e := range v.Content {
				if i, err = l.integer(key, deref(e), 0, 4095); err != nil {
					return err
				}
				p.Trunks = append(p.Trunks, uint16(i))
			}
		case "options":
			p.Options = map[string]string{}
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return nil
			}
			if v.Kind != yaml.MappingNode {
				return l.errAt(v, key, "options: want a mapping of option names to values")
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				ok, ov := deref(v.Content[j]), deref(v.Content[j+1])
				if ok.Kind != yaml.ScalarNode {
					return l.errAt(ok, key, "options: keys must be plain strings")
				}
				if _, dup := p.Options[ok.Value]; dup {
					return l.errAt(ok, "options."+ok.Value, "options: duplicate key %q", ok.Value)
				}
				s, err := l.str("options."+ok.Value, ov)
				if err != nil {
					return err
				}
				p.Options[ok.Value] = s
			}
		}
		return err
	})
	if err != nil {
		return p, err
	}
	if p.Options == nil {
		p.Options = map[string]string{}
	}
	if err := ValidatePort(p); err != nil {
		return p, l.wrap(n, err)
	}
	if p.Type == KindPcap {
		for _, o := range []string{"rx", "tx"} {
			if f := p.Options[o]; f != "" {
				p.Options[o] = l.resolve(f)
			}
		}
		if rx := p.Options["rx"]; rx != "" {
			if err := l.checkFile(optionNode(n, "rx"), "options.rx", "rx pcap file", rx); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// wrap adds file, line and bridge to a ValidatePort error.
func (l *loader) wrap(n *yaml.Node, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return l.errAt(n, "", "%v", err)
	}
	e.File, e.Bridge, e.Line = l.name(), l.bridge, n.Line
	if e.Port == "" {
		e.Port = l.port
	}
	key, sub, _ := strings.Cut(e.Key, ".")
	if v := lookup(n, key); v != nil {
		e.Line = v.Line
		if key == "options" && sub != "" {
			if ov := lookup(v, sub); ov != nil {
				e.Line = ov.Line
			}
		}
	}
	return e
}

func optionNode(port *yaml.Node, opt string) *yaml.Node {
	if o := lookup(lookup(port, "options"), opt); o != nil {
		return o
	}
	return port
}

// crossCheck checks what spans ports and bridges: port names unique in the
// whole switch (as OVS), ofports unique in a bridge, patch peers.
func (l *loader) crossCheck(doc *yaml.Node, cfg *Config) error {
	type where struct {
		bridge string
		port   *Port
		node   *yaml.Node
	}
	byName := map[string]where{}
	bridgesNode := lookup(doc, "bridges")
	for bi := range cfg.Bridges {
		b := &cfg.Bridges[bi]
		var portNodes []*yaml.Node
		if bridgesNode != nil && bi < len(bridgesNode.Content) {
			if pn := lookup(bridgesNode.Content[bi], "ports"); pn != nil {
				portNodes = pn.Content
			}
		}
		l.bridge = b.Name
		ofports := map[uint16]string{}
		for pi := range b.Ports {
			p := &b.Ports[pi]
			var node *yaml.Node
			if pi < len(portNodes) {
				node = deref(portNodes[pi])
			}
			l.port = p.Name
			if w, dup := byName[p.Name]; dup {
				if w.bridge == b.Name {
					return l.errAt(lookupOr(node, "name"), "name", "duplicate port name in the bridge")
				}
				return l.errAt(lookupOr(node, "name"), "name", "port name already used in bridge %q (port names are unique in the switch)", w.bridge)
			}
			byName[p.Name] = where{b.Name, p, node}
			if p.OFPort != 0 {
				if other, dup := ofports[p.OFPort]; dup {
					return l.errAt(lookupOr(node, "ofport"), "ofport", "ofport: %d is already used by port %q", p.OFPort, other)
				}
				ofports[p.OFPort] = p.Name
			}
		}
	}
	for bi := range cfg.Bridges {
		b := &cfg.Bridges[bi]
		l.bridge = b.Name
		for pi := range b.Ports {
			p := &b.Ports[pi]
			if p.Type != KindPatch {
				continue
			}
			l.port = p.Name
			node := byName[p.Name].node
			peerName := p.Options["peer"]
			peer, ok := byName[peerName]
			switch {
			case !ok:
				return l.errAt(optionNode(node, "peer"), "options.peer", "options.peer: peer port %q does not exist", peerName)
			case peer.port.Type != KindPatch:
				return l.errAt(optionNode(node, "peer"), "options.peer", "options.peer: peer port %q is a %s port, not a patch port", peerName, peer.port.Type)
			case peer.port.Options["peer"] != p.Name:
				return l.errAt(optionNode(node, "peer"), "options.peer", "options.peer: peer port %q has options.peer %q, not %q", peerName, peer.port.Options["peer"], p.Name)
			}
		}
	}
	l.bridge, l.port = "", ""
	return nil
}

func lookupOr(n *yaml.Node, key string) *yaml.Node {
	if v := lookup(n, key); v != nil {
		return v
	}
	return n
}
