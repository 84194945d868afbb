package config

import (
	"strings"
	"testing"
	"time"
)

func TestConntrackSection(t *testing.T) {
	c, err := Parse([]byte(`
conntrack:
  max_entries: 1000
  zone_limits: {1: 10, 0x20: 5}
  tcp_liberal: true
  timeouts: {tcp_established: 1h, other_bidir: 20}
`), "")
	if err != nil {
		t.Fatal(err)
	}
	ct := c.Conntrack
	if ct.MaxEntries != 1000 || !ct.TCPLiberal || ct.ZoneLimits[1] != 10 || ct.ZoneLimits[32] != 5 ||
		ct.Timeouts["tcp_established"] != time.Hour || ct.Timeouts["other_bidir"] != 20*time.Second {
		t.Fatalf("%+v", ct)
	}
	if d := Default().Conntrack; d.MaxEntries != 0 || d.Timeouts != nil {
		t.Fatalf("default conntrack %+v", d)
	}
	for _, c := range []struct{ yaml, want string }{
		{"conntrack: {maxentries: 1}", `unknown key "maxentries"`},
		{"conntrack: {max_entries: -1}", "out of range"},
		{"conntrack: {zone_limits: {70000: 1}}", `zone "70000"`},
		{"conntrack: {zone_limits: {1: 1, 0x1: 2}}", "duplicate zone 1"},
		{"conntrack: {tcp_liberal: 1}", "want true or false"},
		{"conntrack: {timeouts: {tcp_syn: 5}}", `unknown key "tcp_syn"`},
		{"conntrack: {timeouts: {tcp_closed: 0}}", "must be positive"},
	} {
		_, err := Parse([]byte(c.yaml), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.yaml, err, c.want)
		}
	}
}
