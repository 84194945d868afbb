package vswitch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// faultyDev is a device that cannot be used, for the reason fault.
type faultyDev struct {
	fault  error
	closed bool
}

func (d *faultyDev) Send([]byte) error { return d.fault }
func (d *faultyDev) Close() error      { d.closed = true; return nil }
func (d *faultyDev) Fault() error      { return d.fault }

// Attach takes the port down, as a device without its interface does.
func (d *faultyDev) Attach(_ *datapath.Datapath, p *datapath.Port) error {
	p.Up.Store(false)
	return nil
}

// missingErr is an interface that does not exist.
type missingErr struct{}

func (missingErr) Error() string { return "could not open network device x (No such device)" }
func (missingErr) Missing() bool { return true }

// TestFaultyDevices: add-port refuses a device that exists but cannot be
// opened and leaves nothing; it accepts a missing one, down, with the
// reason in Ports and PortStats; at start-up both are kept.
func TestFaultyDevices(t *testing.T) {
	var opened []*faultyDev
	fault := map[string]error{"busy": errors.New("device or resource busy"), "gone": missingErr{}}
	open := func(_ string, pc config.Port) (datapath.Device, error) {
		d := &faultyDev{fault: fault[pc.Name]}
		opened = append(opened, d)
		return d, nil
	}
	s := New(datapath.New(), open, nil, nil)
	if err := s.AddBridge("br0", "", false); err != nil {
		t.Fatal(err)
	}
	sys := func(name string) config.Port {
		return config.Port{Name: name, Type: config.KindSystem, Options: map[string]string{}}
	}
	if _, err := s.AddPort("br0", sys("busy"), false); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "busy") {
		t.Errorf("add-port of a device that cannot be opened: %v", err)
	}
	if !opened[0].closed {
		t.Error("the refused device was not closed")
	}
	if _, err := s.AddPort("br0", sys("gone"), false); err != nil {
		t.Fatalf("add-port of a missing interface: %v", err)
	}
	ports, _ := s.Ports("br0")
	if len(ports) != 1 || ports[0].Name != "gone" || ports[0].LinkUp || ports[0].Error != (missingErr{}).Error() {
		t.Errorf("ports after the add-ports: %+v", ports)
	}
	if got := s.PortFault("gone"); got != (missingErr{}).Error() {
		t.Errorf("PortFault = %q", got)
	}
	st, _ := s.PortStats("br0", "gone")
	if len(st) != 1 || st[0].LinkUp || st[0].Error == "" {
		t.Errorf("port stats: %+v", st)
	}

	cfg := &config.Config{Bridges: []config.Bridge{{Name: "br1", Ports: []config.Port{sys("busy")}}}}
	if err := s.LoadConfig(cfg); err != nil {
		t.Fatalf("start-up with a device that cannot be opened: %v", err)
	}
	if got := s.PortFault("busy"); got == "" {
		t.Error("the start-up port has no fault")
	}
}

// TestAddPortBadRxLeavesNothing: an rx file that does not parse refuses
// add-port with nothing left; the same port with a good file is then added.
func TestAddPortBadRxLeavesNothing(t *testing.T) {
	s := testSwitch(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pcap")
	if err := os.WriteFile(bad, []byte("not a pcap"), 0o600); err != nil {
		t.Fatal(err)
	}
	pc := config.Port{Name: "p3", Type: config.KindPcap, Options: map[string]string{"rx": bad}}
	if _, err := s.AddPort("br0", pc, false); !errors.Is(err, ErrRefused) {
		t.Fatalf("add-port with a bad rx file: %v", err)
	}
	if s.dp.PortByName("p3") != nil {
		t.Fatal("the refused port is attached")
	}
	if _, ok := s.ports["p3"]; ok {
		t.Fatal("the refused port is remembered (it would be saved)")
	}
	pc.Options = map[string]string{}
	if _, err := s.AddPort("br0", pc, false); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

// TestMayExist: --may-exist of an existing port is a no-op only on its
// bridge with its settings.
func TestMayExist(t *testing.T) {
	s := testSwitch(t)
	if err := s.AddBridge("br1", "", false); err != nil {
		t.Fatal(err)
	}
	tag := func(v uint16) *uint16 { return &v }
	base := config.Port{Name: "p1", Type: config.KindTap, Options: map[string]string{}}
	with := func(f func(*config.Port)) config.Port {
		pc := base
		pc.Options = map[string]string{}
		f(&pc)
		return pc
	}
	for _, c := range []struct {
		name   string
		bridge string
		pc     config.Port
		want   string // "" = accepted
	}{
		{"same", "br0", base, ""},
		{"same ofport", "br0", with(func(p *config.Port) { p.OFPort = 1 }), ""},
		{"trunk spelled out", "br0", with(func(p *config.Port) { p.VLANMode = "trunk" }), ""},
		{"other bridge", "br1", base, "actually attached to bridge br0"},
		{"other type", "br0", with(func(p *config.Port) { p.Type = config.KindPcap }), "type tap, not pcap"},
		{"other ofport", "br0", with(func(p *config.Port) { p.OFPort = 7 }), "ofport 1, not 7"},
		{"a tag", "br0", with(func(p *config.Port) { p.Tag = tag(5) }), "vlan_mode trunk, not access"},
		{"trunks", "br0", with(func(p *config.Port) { p.Trunks = []uint16{3} }), "trunks"},
		{"options", "br0", with(func(p *config.Port) { p.Options["k"] = "v" }), "options {}, not {k=v}"},
	} {
		_, err := s.AddPort(c.bridge, c.pc, true)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrExists) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an ErrExists error with %q", c.name, err, c.want)
		}
	}
	if ports, _ := s.Ports("br1"); len(ports) != 0 {
		t.Errorf("br1 got ports: %+v", ports)
	}
}
