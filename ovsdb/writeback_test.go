package ovsdb

import (
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/vswitch"
)

func TestIfaceStateOf(t *testing.T) {
	lookupLink = func(name string) (hostLink, bool) {
		if name == "tap0" {
			return hostLink{ifindex: 42, mac: "02:00:00:00:00:01", mtu: 9000}, true
		}
		return hostLink{}, false
	}
	t.Cleanup(func() { lookupLink = lookupHost })
	tests := []struct {
		name  string
		iface Interface
		res   result
		info  vswitch.PortInfo
		ok    bool
		want  ifaceState
	}{
		{name: "device up", iface: Interface{Name: "tap0"}, res: result{OFPort: 3}, info: vswitch.PortInfo{Kind: config.KindTap, LinkUp: true}, ok: true,
			want: ifaceState{OFPort: 3, AdminState: "up", LinkState: "up", MAC: "02:00:00:00:00:01", MTU: 9000, IfIndex: 42}},
		{name: "device without link", iface: Interface{Name: "eth9"}, res: result{OFPort: 4}, info: vswitch.PortInfo{Kind: config.KindSystem, Error: "no such device"}, ok: true,
			want: ifaceState{OFPort: 4, Error: "no such device", AdminState: "up", LinkState: "down", MAC: stableMAC("eth9"), MTU: 1500}},
		{name: "failed", iface: Interface{Name: "bad"}, res: result{OFPort: -1, Err: "bad type"},
			want: ifaceState{OFPort: -1, Error: "bad type", AdminState: "down", LinkState: "down"}},
		{name: "local with mtu_request", iface: Interface{Name: "br0", MTURequest: ptr(1400)}, res: result{OFPort: LocalOFPort, Local: true},
			want: ifaceState{OFPort: LocalOFPort, AdminState: "up", LinkState: "up", MAC: stableMAC("br0"), MTU: 1400}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ifaceStateOf(&tc.iface, tc.res, tc.info, tc.ok, nil)
			if got.OFPort != tc.want.OFPort || got.Error != tc.want.Error || got.AdminState != tc.want.AdminState ||
				got.LinkState != tc.want.LinkState || got.MAC != tc.want.MAC || got.MTU != tc.want.MTU || got.IfIndex != tc.want.IfIndex {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestIfaceUpdateIdempotent: once a row holds the state, nothing more is
// written (the write back triggers a monitor update: it must not loop).
func TestIfaceUpdateIdempotent(t *testing.T) {
	want := ifaceState{OFPort: 7, Error: "", AdminState: "up", LinkState: "up", MAC: "aa:55:00:00:00:01", MTU: 1500, IfIndex: 0, Stats: map[string]int{"rx_packets": 1}}
	i := &Interface{UUID: "u", Name: "p1", Error: ptr("old error")}
	row, fields := ifaceUpdate(i, want)
	if len(fields) != 8 {
		t.Fatalf("%d fields to write to a fresh row, want 8", len(fields))
	}
	if row.Error != nil {
		t.Errorf("error not cleared: %q", *row.Error)
	}
	// The row as the server then holds it.
	i.OFPort, i.AdminState, i.LinkState, i.MACInUse, i.MTU, i.IfIndex, i.Error, i.Statistics = row.OFPort, row.AdminState, row.LinkState, row.MACInUse, row.MTU, row.IfIndex, nil, row.Statistics
	if _, fields := ifaceUpdate(i, want); len(fields) != 0 {
		t.Errorf("%d fields written again to an up-to-date row", len(fields))
	}
}

func TestDatapathID(t *testing.T) {
	tests := []struct {
		other map[string]string
		want  string
	}{
		{map[string]string{"datapath-id": "00000000000000AB"}, "00000000000000ab"},
		{map[string]string{"datapath-id": "zz", "hwaddr": "02:11:22:33:44:55"}, "0000021122334455"},
		{nil, "0000" + "aa55" + stableMAC("br0")[6:8] + stableMAC("br0")[9:11] + stableMAC("br0")[12:14] + stableMAC("br0")[15:17]},
	}
	for _, tc := range tests {
		if got := datapathID(&Bridge{Name: "br0", OtherConfig: tc.other}); got != tc.want {
			t.Errorf("datapathID(%v) = %s, want %s", tc.other, got, tc.want)
		}
	}
}
