package vswitch

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// TestValidName checks the names a bridge or port may have: those of a
// Linux interface.
func TestValidName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"br0", true}, {"br-int", true}, {"tap1234abcd-12", true}, {"a.b_c", true},
		{"123456789012345", true}, {"1234567890123456", false},
		{"", false}, {".", false}, {"..", false}, {"bad name", false}, {"br0/x", false},
		{"a:b", false}, {"tab\there", false}, {"nl\n", false},
	} {
		err := ValidName("bridge", c.name)
		if (err == nil) != c.ok || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidName(%q) = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestTransactRollback checks that a failed transaction leaves the core
// as it was (bridges, ports with their configuration and records) and a
// successful one keeps every change.
func TestTransactRollback(t *testing.T) {
	open := func(string, config.Port) (datapath.Device, error) { return &faultyDev{}, nil }
	s := New(datapath.New(), open, nil, nil)
	tag := uint16(10)
	p1 := config.Port{Name: "p1", Type: config.KindSystem, Tag: &tag, Options: map[string]string{}, IfaceExternalIDs: map[string]string{"iface-id": "vm1"}}
	err := s.Transact(func(tx *Tx) error {
		if err := tx.AddBridge("br0", "secure", false); err != nil {
			return err
		}
		if err := tx.SetBridge(BridgeRecord{Name: "br0", FailMode: "secure", ExternalIDs: map[string]string{"owner": "neutron"}}); err != nil {
			return err
		}
		tx.SetRoot(RootRecord{ExternalIDs: map[string]string{"system-id": "host1"}})
		return tx.AddPort("br0", p1, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	view := func() string {
		var out string
		s.Transact(func(tx *Tx) error {
			b, err := json.Marshal([]any{tx.Bridges(), tx.Ports(), tx.Root()})
			if err != nil {
				t.Fatal(err)
			}
			out = string(b)
			return nil
		})
		return out
	}
	before := view()
	failure := errors.New("the last command fails")
	for name, change := range map[string]func(tx *Tx) error{
		"add bridge and port": func(tx *Tx) error {
			if err := tx.AddBridge("br1", "", false); err != nil {
				return err
			}
			return tx.AddPort("br1", config.Port{Name: "q1", Type: config.KindSystem, Options: map[string]string{}}, false)
		},
		"delete bridge": func(tx *Tx) error { return tx.DelBridge("br0", false) },
		"delete port":   func(tx *Tx) error { return tx.DelPort("", "p1", false) },
		"reconfigure port": func(tx *Tx) error {
			pc := p1
			pc.Tag, pc.ExternalIDs = nil, map[string]string{"a": "b"}
			return tx.SetPort("p1", pc)
		},
		"root record": func(tx *Tx) error {
			tx.SetRoot(RootRecord{ExternalIDs: map[string]string{"system-id": "host2"}})
			return nil
		},
		"bridge record": func(tx *Tx) error {
			return tx.SetBridge(BridgeRecord{Name: "br0", FailMode: "standalone"})
		},
	} {
		err := s.Transact(func(tx *Tx) error {
			if err := change(tx); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			return failure
		})
		if !errors.Is(err, failure) {
			t.Errorf("%s: Transact = %v, want the function's error", name, err)
		}
		if after := view(); after != before {
			t.Errorf("%s: not undone:\n%s\nwant:\n%s", name, after, before)
		}
	}
}

// TestRecordColumnsNoPortStatus checks that a change of external_ids or
// other_config alone touches no device and sends no port-status, while a
// VLAN change still does.
func TestRecordColumnsNoPortStatus(t *testing.T) {
	s := testSwitch(t)
	sub := s.Subscribe(4)
	defer sub.Close()
	var pc config.Port
	s.Transact(func(tx *Tx) error {
		pc = tx.Ports()[0].Config
		return nil
	})
	pc.IfaceExternalIDs = map[string]string{"iface-id": "vm1"}
	pc.OtherConfig = map[string]string{"k": "v"}
	if err := s.Transact(func(tx *Tx) error { return tx.SetPort(pc.Name, pc) }); err != nil {
		t.Fatal(err)
	}
	tag := uint16(5)
	pc.Tag = &tag
	if err := s.Transact(func(tx *Tx) error { return tx.SetPort(pc.Name, pc) }); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Kind != EventPortStatus || ev.Reason != "modify" {
		t.Errorf("first event %+v, want the tag change's port-status modify", ev)
	}
	select {
	case ev := <-sub.C:
		t.Errorf("a second event %+v: the record change sent one", ev)
	default:
	}
}
