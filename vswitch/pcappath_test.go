package vswitch

import (
	"errors"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/datapath"
)

func TestConfinePcapOptions(t *testing.T) {
	const dir = "/var/lib/gvs/pcap"
	for _, c := range []struct {
		name     string
		dir      string
		in, want map[string]string // want nil: refused
		err      string
	}{
		{"relative names resolve inside", dir, map[string]string{"rx": "in.pcap", "tx": "vm/out.pcap"}, map[string]string{"rx": dir + "/in.pcap", "tx": dir + "/vm/out.pcap"}, ""},
		{"absolute inside is kept", dir, map[string]string{"tx": dir + "/./a.pcap"}, map[string]string{"tx": dir + "/a.pcap"}, ""},
		{"empty clears, other options pass", dir, map[string]string{"tx": "", "peer": "/etc/x"}, map[string]string{"tx": "", "peer": "/etc/x"}, ""},
		{"absolute outside", dir, map[string]string{"tx": "/etc/cron.d/x"}, nil, "must lie inside the pcap directory " + dir},
		{"the directory itself", dir, map[string]string{"tx": dir}, nil, "must lie inside"},
		{"a sibling with the same prefix", dir, map[string]string{"tx": dir + "x/a"}, nil, "must lie inside"},
		{"relative dot-dot", dir, map[string]string{"rx": "../state.json"}, nil, "without .."},
		{"absolute dot-dot that stays inside", dir, map[string]string{"rx": dir + "/a/../b"}, nil, "without .."},
		{"no directory configured", "", map[string]string{"tx": "a.pcap"}, nil, "no pcap directory is configured"},
	} {
		s := New(datapath.New(), nil, nil, nil)
		s.ConfinePcap(c.dir)
		err := s.ConfinePcapOptions(c.in)
		switch {
		case c.want != nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != nil:
			for k, v := range c.want {
				if c.in[k] != v {
					t.Errorf("%s: %s = %q, want %q", c.name, k, c.in[k], v)
				}
			}
		case err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrRefused):
			t.Errorf("%s: %v, want an ErrRefused error with %q", c.name, err, c.err)
		}
	}
}
