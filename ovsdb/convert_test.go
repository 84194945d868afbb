package ovsdb

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
)

func TestPortConfig(t *testing.T) {
	tests := []struct {
		name    string
		port    Port
		iface   Interface
		want    config.Port
		wantErr string
	}{
		{name: "system by default", port: Port{Name: "eth1"}, iface: Interface{Name: "eth1"},
			want: config.Port{Name: "eth1", Type: config.KindSystem}},
		{name: "internal with tag and ofport_request", port: Port{Name: "p1", Tag: ptr(5)}, iface: Interface{Name: "p1", Type: "internal", OFPortRequest: ptr(7)},
			want: config.Port{Name: "p1", Type: config.KindInternal, OFPort: 7, Tag: ptr(uint16(5))}},
		{name: "trunk", port: Port{Name: "t", Trunks: []int{10, 20}, VLANMode: ptr("trunk")}, iface: Interface{Name: "t", Type: "tap"},
			want: config.Port{Name: "t", Type: config.KindTap, Trunks: []uint16{10, 20}, VLANMode: "trunk"}},
		{name: "patch", port: Port{Name: "a"}, iface: Interface{Name: "a", Type: "patch", Options: map[string]string{"peer": "b"}},
			want: config.Port{Name: "a", Type: config.KindPatch, Options: map[string]string{"peer": "b"}}},
		{name: "dummy pcap", port: Port{Name: "d"}, iface: Interface{Name: "d", Type: "dummy", Options: map[string]string{"pcap": "/x/tx.pcap", "rxq_pcap": "/x/rx.pcap"}},
			want: config.Port{Name: "d", Type: config.KindPcap, Options: map[string]string{"tx": "/x/tx.pcap", "rx": "/x/rx.pcap"}}},
		{name: "external ids kept", port: Port{Name: "v", ExternalIDs: map[string]string{"k": "v"}}, iface: Interface{Name: "v", Type: "tap", ExternalIDs: map[string]string{"iface-id": "x"}},
			want: config.Port{Name: "v", Type: config.KindTap, ExternalIDs: map[string]string{"k": "v"}, IfaceExternalIDs: map[string]string{"iface-id": "x"}}},
		{name: "unknown type", port: Port{Name: "v"}, iface: Interface{Name: "v", Type: "vxlan"}, wantErr: `type "vxlan"`},
		{name: "patch without peer", port: Port{Name: "a"}, iface: Interface{Name: "a", Type: "patch"}, wantErr: "peer"},
		{name: "dummy option", port: Port{Name: "d"}, iface: Interface{Name: "d", Type: "dummy", Options: map[string]string{"x": "1"}}, wantErr: `unknown option "x"`},
		{name: "ofport_request 0", port: Port{Name: "p"}, iface: Interface{Name: "p", OFPortRequest: ptr(0)}, wantErr: "ofport_request 0"},
		{name: "ofport_request too big", port: Port{Name: "p"}, iface: Interface{Name: "p", OFPortRequest: ptr(65280)}, wantErr: "ofport_request 65280"},
		{name: "tag too big", port: Port{Name: "p", Tag: ptr(4096)}, iface: Interface{Name: "p"}, wantErr: "tag 4096"},
		{name: "negative trunk", port: Port{Name: "p", Trunks: []int{-1}}, iface: Interface{Name: "p"}, wantErr: "trunk VLAN -1"},
		{name: "tag with trunk mode", port: Port{Name: "p", Tag: ptr(3), VLANMode: ptr("trunk")}, iface: Interface{Name: "p"}, wantErr: "vlan_mode trunk"},
		{name: "interface named otherwise", port: Port{Name: "p"}, iface: Interface{Name: "q"}, wantErr: "port's name"},
		{name: "bad name", port: Port{Name: "a/b"}, iface: Interface{Name: "a/b"}, wantErr: "contains"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := portConfig(&tc.port, &tc.iface)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tc.want)
			if string(g) != string(w) {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

func TestDesiredBonds(t *testing.T) {
	r := rows{
		bridges: []Bridge{{Name: "br0", Ports: []string{"p", "missing"}}},
		ports:   map[string]*Port{"p": {Name: "bond0", Interfaces: []string{"a", "b"}}},
		ifaces:  map[string]*Interface{"a": {UUID: "a", Name: "a"}, "b": {UUID: "b", Name: "b"}},
	}
	w := desired(r)
	if len(w) != 1 || len(w[0].Ports) != 2 {
		t.Fatalf("desired %+v, want one bridge with two failed interfaces", w)
	}
	for _, p := range w[0].Ports {
		if p.Err == nil || !strings.Contains(p.Err.Error(), "bonds") {
			t.Errorf("%s: error %v, want a bond error", p.Config.Name, p.Err)
		}
	}
}

// FuzzPortConfig feeds arbitrary Port and Interface rows through the
// conversion and the reconciler: no panic, and a row is either a valid
// configuration or an error set on its interface, never both, and never
// disturbs the good port beside it.
func FuzzPortConfig(f *testing.F) {
	f.Add("p1", "internal", "", "", 7, 5, -1, "")
	f.Add("p2", "dummy", "pcap", "/tmp/x", -1, -1, 3, "trunk")
	f.Add("p3", "patch", "peer", "p3", 0, 4096, 0, "access")
	f.Add("a/b", "vxlan", "remote_ip", "1.2.3.4", 70000, -5, 9999, "bogus")
	f.Fuzz(func(t *testing.T, name, typ, optK, optV string, req, tag, trunk int, mode string) {
		p := Port{UUID: "p", Name: name, Interfaces: []string{"i"}}
		i := Interface{UUID: "i", Name: name, Type: typ}
		if optK != "" {
			i.Options = map[string]string{optK: optV}
		}
		if req >= 0 {
			i.OFPortRequest = &req
		}
		if tag >= 0 {
			p.Tag = &tag
		}
		if trunk >= 0 {
			p.Trunks = []int{trunk}
		}
		if mode != "" {
			p.VLANMode = &mode
		}
		pc, err := portConfig(&p, &i)
		if err == nil {
			if verr := config.ValidatePort(pc); verr != nil {
				t.Fatalf("accepted a row the core rejects: %v", verr)
			}
		}
		if name == "good" || name == "br0" {
			return
		}
		// Next to a good port on a fake core: the good one is untouched.
		good := &Port{UUID: "g", Name: "good", Interfaces: []string{"gi"}}
		r := rows{
			root:    &OpenVSwitch{},
			bridges: []Bridge{{Name: "br0", Ports: []string{"g", "p"}}},
			ports:   map[string]*Port{"g": good, "p": &p},
			ifaces:  map[string]*Interface{"gi": {UUID: "gi", Name: "good", Type: "internal"}, "i": &i},
		}
		sw := newFake()
		res := NewReconciler(sw).Apply(desired(r))
		if g := res["gi"]; g.Err != "" || g.OFPort < 1 {
			t.Fatalf("the good port was disturbed: %+v", g)
		}
		if got := res["i"]; (err != nil) != (got.Err != "") {
			t.Fatalf("conversion error %v but result %+v", err, got)
		}
		names := slices.Collect(maps.Keys(sw.ports))
		if !slices.Contains(names, "good") {
			t.Fatalf("good port missing from the core: %v", names)
		}
	})
}
