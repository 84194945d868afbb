package config

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Conntrack configures the connection tracker (zero values: Open vSwitch's
// defaults).
//
//	conntrack:
//	  max_entries: 3000000
//	  zone_limits: {1: 100000}
//	  tcp_liberal: false
//	  timeouts: {tcp_established: 24h, other_bidir: 30}
type Conntrack struct {
	MaxEntries int            `yaml:"max_entries"`
	ZoneLimits map[uint16]int `yaml:"zone_limits,omitempty"`
	TCPLiberal bool           `yaml:"tcp_liberal"` // no TCP window checks
	// Timeouts by Open vSwitch's timeout names (lib/conntrack CT_TM_*):
	// seconds or a Go duration.
	Timeouts map[string]time.Duration `yaml:"timeouts,omitempty"`
}

// ConntrackTimeouts are the names Conntrack.Timeouts accepts.
var ConntrackTimeouts = []string{"tcp_first_packet", "tcp_opening", "tcp_established", "tcp_closing", "tcp_fin_wait",
	"tcp_closed", "other_first", "other_multiple", "other_bidir", "icmp_first", "icmp_reply"}

func (l *loader) conntrack(n *yaml.Node, c *Conntrack) error {
	return l.fields(n, "conntrack", []string{"max_entries", "zone_limits", "tcp_liberal", "timeouts"}, func(key string, k, v *yaml.Node) error {
		key = "conntrack." + key
		switch key {
		case "conntrack.max_entries":
			i, err := l.integer(key, v, 0, 1<<31-1) // 0 = the default
			c.MaxEntries = int(i)
			return err
		case "conntrack.tcp_liberal":
			var err error
			c.TCPLiberal, err = l.boolean(key, v)
			return err
		case "conntrack.zone_limits":
			return l.zoneLimits(v, c)
		case "conntrack.timeouts":
			c.Timeouts = map[string]time.Duration{}
			return l.fields(v, key, ConntrackTimeouts, func(name string, _, tv *yaml.Node) error {
				d, err := l.duration(key+"."+name, tv)
				if err == nil && d <= 0 {
					err = l.errAt(tv, key+"."+name, "%s.%s: must be positive", key, name)
				}
				c.Timeouts[name] = d
				return err
			})
		}
		return nil
	})
}

func (l *loader) zoneLimits(n *yaml.Node, c *Conntrack) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return l.errAt(n, "conntrack.zone_limits", "conntrack.zone_limits: want a mapping of zone to limit")
	}
	c.ZoneLimits = map[uint16]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		z, err := strconv.ParseUint(k.Value, 0, 16)
		if err != nil || k.Kind != yaml.ScalarNode {
			return l.errAt(k, "conntrack.zone_limits", "conntrack.zone_limits: zone %q: want 0..65535", k.Value)
		}
		if _, dup := c.ZoneLimits[uint16(z)]; dup {
			return l.errAt(k, "conntrack.zone_limits", "conntrack.zone_limits: duplicate zone %d", z)
		}
		lim, err := l.integer("conntrack.zone_limits", v, 1, 1<<31-1)
		if err != nil {
			return err
		}
		c.ZoneLimits[uint16(z)] = int(lim)
	}
	return nil
}
