package flowtable

import (
	"strings"
	"testing"
)

// TestLaterFragmentPrereq: later fragments carry no TCP, UDP or SCTP
// header, so Open vSwitch 3.1 refuses their fields with nw_frag=later
// (OFPBMC_BAD_PREREQ) and accepts ICMP's; found by internal/difffuzz.
func TestLaterFragmentPrereq(t *testing.T) {
	for flow, ok := range map[string]bool{
		"tcp,nw_frag=later,tp_src=53":                    false,
		"udp,nw_frag=later,tp_dst=1":                     false,
		"tcp6,nw_frag=later,tp_src=53":                   false,
		"sctp,nw_frag=later,tp_src=53":                   false,
		"tcp,nw_frag=later,tcp_flags=+syn":               false,
		"udp,nw_frag=later,actions=mod_tp_src:5":         true, // OVS checks no fragment here
		"udp,nw_frag=later,actions=set_field:5->udp_src": false,
		"icmp,nw_frag=later,icmp_type=8":                 true,
		"icmp6,nw_frag=later,icmp_type=128":              true,
		"tcp,nw_frag=yes,tp_src=53":                      true,
		"tcp,nw_frag=not_later,tp_src=5":                 true,
		"tcp,nw_frag=first,tp_src=5":                     true,
	} {
		s := flow
		if !strings.Contains(s, "actions=") {
			s += ",actions=drop"
		}
		_, err := ParseFlow(s, CmdAdd)
		if (err == nil) != ok {
			t.Errorf("%s: %v, want accepted=%v", flow, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "prerequisite") {
			t.Errorf("%s: %v does not say which prerequisite", flow, err)
		}
	}
}
