package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// writeCase writes a configuration and the files it refers to into a new
// directory and returns the configuration's path.
func writeCase(t *testing.T, text string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "br-int.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const full = `socket: /tmp/gvs.sock
socket_group: gvs
metrics: ""
log: {level: debug, format: console}
state_dir: /var/lib/gvs
bridges:
  - name: br-int
    fail_mode: secure
    flows: br-int.flows
    mac_table_size: 1000
    mac_aging_time: 60
    ports:
      - {name: vm1, ofport: 5, type: pcap, tag: 1, options: {rx: vm1-in.pcap, tx: vm1-out.pcap}}
      - {name: trunk0, ofport: 2, type: pcap, trunks: [196, 148], options: {rx: t-in.pcap}}
      - {name: int-br-vlan, ofport: 1, type: patch, options: {peer: phy-br-vlan}}
      - {name: n1, type: pcap, tag: 10, trunks: [10, 20], vlan_mode: native-untagged}
  - name: br-vlan
    mac_aging_time: 2m30s
    ports:
      - {name: phy-br-vlan, ofport: 1, type: patch, options: {peer: int-br-vlan}}
      - name: eth1
        ofport: 2
        type: system
`

func TestLoadFull(t *testing.T) {
	path := writeCase(t, full, "br-int.flows", "vm1-in.pcap", "t-in.pcap")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	tag := func(v uint16) *uint16 { return &v }
	want := &Config{
		Socket: "/tmp/gvs.sock", SocketGroup: "gvs", Metrics: "", StateDir: "/var/lib/gvs",
		Log: LogConfig{Level: "debug", Format: "console"},
		Bridges: []Bridge{
			{Name: "br-int", FailMode: "secure", Flows: filepath.Join(dir, "br-int.flows"), MACTableSize: 1000, MACAgingTime: time.Minute,
				Ports: []Port{
					{Name: "vm1", OFPort: 5, Type: "pcap", Tag: tag(1), Options: map[string]string{
						"rx": filepath.Join(dir, "vm1-in.pcap"), "tx": filepath.Join(dir, "vm1-out.pcap")}},
					{Name: "trunk0", OFPort: 2, Type: "pcap", Trunks: []uint16{196, 148}, Options: map[string]string{"rx": filepath.Join(dir, "t-in.pcap")}},
					{Name: "int-br-vlan", OFPort: 1, Type: "patch", Options: map[string]string{"peer": "phy-br-vlan"}},
					{Name: "n1", Type: "pcap", Tag: tag(10), Trunks: []uint16{10, 20}, VLANMode: "native-untagged", Options: map[string]string{}},
				}},
			{Name: "br-vlan", MACAgingTime: 150 * time.Second, Ports: []Port{
				{Name: "phy-br-vlan", OFPort: 1, Type: "patch", Options: map[string]string{"peer": "int-br-vlan"}},
				{Name: "eth1", OFPort: 2, Type: "system", Options: map[string]string{}},
			}},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		g, _ := json.MarshalIndent(cfg, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}
}

func TestLoadDefaultsAndEmpty(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "bridges: []\n", "bridges:\n"} {
		cfg, err := Load(writeCase(t, text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if cfg.Socket != DefaultSocket || cfg.Metrics != DefaultMetrics || len(cfg.Bridges) != 0 {
			t.Fatalf("%q: %+v", text, cfg)
		}
	}
	cfg, err := Load(writeCase(t, "bridges: [{name: br0, ports: [{name: p1}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := cfg.Bridges[0].Ports[0]; p.Type != "system" || p.OFPort != 0 || p.Options == nil {
		t.Fatalf("port defaults: %+v", p)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("loading a missing file succeeded")
	}
}

func TestDefault(t *testing.T) {
	cfg := Default()
	if cfg.Socket != "/run/gvs/gvsd.sock" || cfg.Metrics != "127.0.0.1:9475" || cfg.StateDir != "" {
		t.Fatalf("daemon settings: %+v", cfg)
	}
	if len(cfg.Bridges) != 1 || cfg.Bridges[0].Name != "br-int" || cfg.Bridges[0].FailMode != "standalone" || len(cfg.Bridges[0].Ports) != 0 {
		t.Fatalf("bridges: %+v", cfg.Bridges)
	}
	// The embedded file as printed by `gvsd config default` loads to the
	// same configuration from disk.
	fromFile, err := Load(writeCase(t, string(DefaultYAML())))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFile, cfg) {
		t.Fatalf("DefaultYAML loads to %+v, Default is %+v", fromFile, cfg)
	}
	// DefaultYAML returns a copy.
	DefaultYAML()[0] = 'X'
	if DefaultYAML()[0] == 'X' {
		t.Fatal("DefaultYAML exposes the embedded bytes")
	}
	// Marshalling the default and loading it back gives it again.
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(bytesReplaceAging(out), "")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Fatalf("round trip: %+v, want %+v", back, cfg)
	}
}

// bytesReplaceAging turns the nanosecond integers yaml.v3 writes for
// time.Duration into the seconds the configuration uses (0 here).
func bytesReplaceAging(b []byte) []byte {
	return []byte(strings.ReplaceAll(string(b), "mac_aging_time: 0s", "mac_aging_time: 0"))
}

func TestErrors(t *testing.T) {
	files := []string{"br-int.flows", "vm1-in.pcap"}
	cases := []struct {
		name   string
		text   string
		line   int
		bridge string
		port   string
		key    string
		msg    string // substring of the message
	}{
		{"unknown port key", `
bridges:
  - name: br-int
    ports:
      - name: vm1
        tagg: 1
`, 6, "br-int", "vm1", "tagg", `unknown key "tagg"`},
		{"unknown top key", "sockett: /x\n", 1, "", "", "sockett", `unknown key "sockett"`},
		{"unknown bridge key", "bridges: [{name: br0, failmode: secure}]\n", 1, "br0", "", "failmode", `unknown key "failmode"`},
		{"unknown log key", "log: {lvl: debug}\n", 1, "", "", "lvl", `unknown key "lvl"`},
		{"duplicate key", "bridges:\n  - name: br0\n    name: br1\n", 3, "br0", "", "name", `duplicate key "name"`},
		{"duplicate bridge", "bridges:\n  - name: br0\n  - name: br0\n", 3, "br0", "", "name", "duplicate bridge name"},
		{"bridge without name", "bridges:\n  - fail_mode: secure\n", 2, "#1", "", "name", "needs a name"},
		{"unknown fail_mode", "bridges:\n  - name: br0\n    fail_mode: open\n", 3, "br0", "", "fail_mode", `unknown fail_mode "open"`},
		{"missing flows file", "bridges:\n  - name: br0\n    flows: nope.flows\n", 3, "br0", "", "flows", "nope.flows does not exist"},
		{"bad mac_table_size", "bridges:\n  - name: br0\n    mac_table_size: lots\n", 3, "br0", "", "mac_table_size", `want an integer, not "lots"`},
		{"bad mac_aging_time", "bridges:\n  - name: br0\n    mac_aging_time: -5\n", 3, "br0", "", "mac_aging_time", "out of range"},
		{"bad mac_aging_time string", "bridges:\n  - name: br0\n    mac_aging_time: soon\n", 3, "br0", "", "mac_aging_time", "want seconds or a duration"},
		{"duplicate port in bridge", `
bridges:
  - name: br0
    ports:
      - {name: p1, ofport: 1}
      - {name: p1, ofport: 2}
`, 6, "br0", "p1", "name", "duplicate port name"},
		{"duplicate port across bridges", `
bridges:
  - name: br0
    ports: [{name: p1}]
  - name: br1
    ports: [{name: p1}]
`, 6, "br1", "p1", "name", `already used in bridge "br0"`},
		{"duplicate ofport", `
bridges:
  - name: br0
    ports:
      - {name: p1, ofport: 3}
      - {name: p2, ofport: 3}
`, 6, "br0", "p2", "ofport", `3 is already used by port "p1"`},
		{"ofport zero", "bridges: [{name: br0, ports: [{name: p1, ofport: 0}]}]\n", 1, "br0", "p1", "ofport", "0 out of range 1..65279"},
		{"ofport too big", "bridges: [{name: br0, ports: [{name: p1, ofport: 65280}]}]\n", 1, "br0", "p1", "ofport", "65280 out of range 1..65279"},
		{"ofport not a number", "bridges: [{name: br0, ports: [{name: p1, ofport: one}]}]\n", 1, "br0", "p1", "ofport", "want an integer"},
		{"unknown type", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        type: vxlan\n", 5, "br0", "p1", "type", `unknown port type "vxlan"`},
		{"tag out of range", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        tag: 4096\n", 5, "br0", "p1", "tag", "4096 out of range 0..4095"},
		{"negative tag", "bridges: [{name: br0, ports: [{name: p1, tag: -1}]}]\n", 1, "br0", "p1", "tag", "out of range 0..4095"},
		{"trunk out of range", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        trunks: [1, 5000]\n", 5, "br0", "p1", "trunks", "5000 out of range 0..4095"},
		{"trunks not a list", "bridges: [{name: br0, ports: [{name: p1, trunks: 5}]}]\n", 1, "br0", "p1", "trunks", "want a list"},
		{"tag with trunk mode", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        vlan_mode: trunk\n        tag: 5\n", 6, "br0", "p1", "tag", "vlan_mode trunk"},
		{"trunks with access mode", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        vlan_mode: access\n        trunks: [5]\n", 6, "br0", "p1", "trunks", "vlan_mode access"},
		{"tag and trunks without mode", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        tag: 5\n        trunks: [5]\n", 4, "br0", "p1", "vlan_mode", "native-tagged or native-untagged"},
		{"unknown vlan_mode", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        vlan_mode: hybrid\n", 5, "br0", "p1", "vlan_mode", `unknown vlan_mode "hybrid"`},
		{"patch without peer", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        type: patch\n", 4, "br0", "p1", "options.peer", "needs options.peer"},
		{"patch peer missing", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        type: patch\n        options: {peer: p9}\n", 6, "br0", "p1", "options.peer", `peer port "p9" does not exist`},
		{"patch peer not patch", `
bridges:
  - name: br0
    ports:
      - {name: p1, type: patch, options: {peer: p2}}
      - {name: p2, type: system}
`, 5, "br0", "p1", "options.peer", "not a patch port"},
		{"patch peer not mutual", `
bridges:
  - name: br0
    ports:
      - {name: p1, type: patch, options: {peer: p2}}
      - {name: p2, type: patch, options: {peer: p3}}
      - {name: p3, type: patch, options: {peer: p2}}
`, 5, "br0", "p1", "options.peer", `has options.peer "p3"`},
		{"unknown pcap option", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        type: pcap\n        options:\n          rxx: a.pcap\n", 7, "br0", "p1", "options.rxx", `unknown option "rxx"`},
		{"missing rx file", "bridges:\n  - name: br0\n    ports:\n      - name: p1\n        type: pcap\n        options: {rx: gone.pcap}\n", 6, "br0", "p1", "options.rx", "gone.pcap does not exist"},
		{"options not a mapping", "bridges: [{name: br0, ports: [{name: p1, options: [rx]}]}]\n", 1, "br0", "p1", "options", "want a mapping"},
		{"port without name", "bridges:\n  - name: br0\n    ports:\n      - {type: pcap}\n", 4, "br0", "#1", "name", "needs a name"},
		{"bad log level", "log:\n  level: loud\n", 2, "", "", "log.level", `unknown level "loud"`},
		{"bad log format", "log:\n  format: xml\n", 2, "", "", "log.format", `unknown format "xml"`},
		{"empty socket", "socket: \"\"\n", 1, "", "", "socket", "must not be empty"},
		{"bridges not a list", "bridges: {name: br0}\n", 1, "", "", "bridges", "want a list"},
		{"root not a mapping", "- a\n- b\n", 1, "", "", "", "must be a mapping"},
		{"syntax error", "bridges: [\n", 0, "", "", "", "line"},
		{"port a string", "bridges: [{name: br0, ports: [vm1]}]\n", 1, "br0", "#1", "", "a port must be a mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeCase(t, c.text, files...)
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "config "+path) {
				t.Errorf("%q does not start with the file name", msg)
			}
			if !strings.Contains(msg, c.msg) {
				t.Errorf("%q does not contain %q", msg, c.msg)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *Error", err)
			}
			if c.line > 0 && e.Line != c.line {
				t.Errorf("%q: line %d, want %d", msg, e.Line, c.line)
			}
			if e.Bridge != c.bridge || e.Port != c.port || e.Key != c.key {
				t.Errorf("%q: bridge %q port %q key %q, want %q %q %q", msg, e.Bridge, e.Port, e.Key, c.bridge, c.port, c.key)
			}
			if c.bridge != "" && !strings.Contains(msg, `bridge "`+c.bridge+`"`) {
				t.Errorf("%q does not name bridge %q", msg, c.bridge)
			}
			if c.port != "" && !strings.Contains(msg, `port "`+c.port+`"`) {
				t.Errorf("%q does not name port %q", msg, c.port)
			}
			if c.key != "" && !strings.Contains(msg, c.key) {
				t.Errorf("%q does not name key %q", msg, c.key)
			}
		})
	}
}

func TestErrorMessageShape(t *testing.T) {
	path := writeCase(t, "bridges:\n  - name: br-int\n    ports:\n      - {name: vm1, tagg: 1}\n")
	_, err := Load(path)
	want := `config ` + path + `:4: bridge "br-int": port "vm1": unknown key "tagg"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestValidatePort(t *testing.T) {
	tag := func(v uint16) *uint16 { return &v }
	ok := []Port{
		{Name: "p1", Type: "system"},
		{Name: "p1", Type: "tap", OFPort: 65279, Tag: tag(4095), VLANMode: "access"},
		{Name: "p1", Type: "pcap", Options: map[string]string{"tx": "/tmp/x.pcap"}},
		{Name: "p1", Type: "patch", Options: map[string]string{"peer": "p2"}},
		{Name: "p1", Type: "internal", Tag: tag(3), Trunks: []uint16{3, 4}, VLANMode: "native-tagged"},
		{Name: "p1", Type: "afxdp", Trunks: []uint16{0, 4095}},
	}
	for _, p := range ok {
		if err := ValidatePort(p); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	bad := []struct {
		p        Port
		key, msg string
	}{
		{Port{Type: "system"}, "name", "needs a name"},
		{Port{Name: "a b", Type: "system"}, "name", "contains a space"},
		{Port{Name: "p1"}, "type", `unknown port type ""`},
		{Port{Name: "p1", Type: "system", OFPort: 65280}, "ofport", "out of range"},
		{Port{Name: "p1", Type: "system", Tag: tag(4096)}, "tag", "out of range"},
		{Port{Name: "p1", Type: "system", Trunks: []uint16{9999}}, "trunks", "out of range"},
		{Port{Name: "p1", Type: "system", Tag: tag(1), VLANMode: "trunk"}, "tag", "vlan_mode trunk"},
		{Port{Name: "p1", Type: "system", VLANMode: "x"}, "vlan_mode", "unknown vlan_mode"},
		{Port{Name: "p1", Type: "patch"}, "options.peer", "needs options.peer"},
		{Port{Name: "p1", Type: "patch", Options: map[string]string{"peer": "p1"}}, "options.peer", "its own peer"},
		{Port{Name: "p1", Type: "patch", Options: map[string]string{"peer": "p2", "rx": "x"}}, "options.rx", "unknown option"},
	}
	for _, c := range bad {
		err := ValidatePort(c.p)
		var e *Error
		if !errors.As(err, &e) || e.Key != c.key || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: got %v, want key %s and %q", c.p, err, c.key, c.msg)
			continue
		}
		if c.p.Name != "" && !strings.HasPrefix(err.Error(), `port "`+c.p.Name+`": `+c.key) {
			t.Errorf("%+v: %q does not start with the port and key", c.p, err)
		}
	}
}

func TestPortJSON(t *testing.T) {
	tag := uint16(7)
	p := Port{Name: "vm1", OFPort: 5, Type: "pcap", Tag: &tag, Trunks: []uint16{1}, VLANMode: "native-tagged", Options: map[string]string{"rx": "a"}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"vm1","ofport":5,"type":"pcap","tag":7,"trunks":[1],"vlan_mode":"native-tagged","options":{"rx":"a"}}`
	if string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
	var back Port
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, p) {
		t.Fatalf("round trip %+v %v", back, err)
	}
}

// FuzzLoad feeds arbitrary YAML to the loader, which must never panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(full))
	f.Add(DefaultYAML())
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("bridges: [{name: b, ports: [{name: p, type: patch, options: {peer: q}}, {name: q, type: patch, options: {peer: p}}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(data, filepath.Join(t.TempDir(), "c.yaml"))
	})
}

func TestLocalPorts(t *testing.T) {
	if Default().LocalPorts {
		t.Error("the embedded default gives LOCAL ports host interfaces; it should not")
	}
	cfg, err := Parse([]byte("local_ports: true\nbridges: [{name: br0}]\n"), "x.yaml")
	if err != nil || !cfg.LocalPorts {
		t.Fatalf("local_ports: true gave %v, %v", cfg, err)
	}
	if _, err := Parse([]byte("local_ports: sometimes\n"), "x.yaml"); err == nil || !strings.Contains(err.Error(), "local_ports: want true or false") {
		t.Errorf("local_ports: sometimes: error %v", err)
	}
}
