package vswitch

import (
	"errors"
	"testing"

	"github.com/gvs-project/gvs/datapath"
)

// TestFrags: set-frags takes the modes Open vSwitch takes, refuses the
// rest (reassemble included) and survives a restart through the state
// file.
func TestFrags(t *testing.T) {
	st, err := OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := New(datapath.New(), nil, st, nil)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Frags("br0"); m != "normal" {
		t.Fatalf("default mode %q, want normal", m)
	}
	for _, bad := range []string{"reassemble", "bogus", ""} {
		if err := s.SetFrags("br0", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("set-frags %q: %v, want ErrInvalid", bad, err)
		}
	}
	if err := s.SetFrags("br-nope", "drop"); !errors.Is(err, ErrNotFound) {
		t.Errorf("set-frags on a missing bridge: %v", err)
	}
	if err := s.SetFrags("br0", "nx-match"); err != nil {
		t.Fatal(err)
	}
	r := restarted(t, st)
	if m, err := r.Frags("br0"); m != "nx-match" || err != nil {
		t.Fatalf("after restore: %q %v, want nx-match", m, err)
	}
}

// restarted is a new core restored from what st holds, as after a restart.
func restarted(t *testing.T, st *StateStore) *Switch {
	t.Helper()
	saved, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	r := New(datapath.New(), nil, st, nil)
	if err := r.Restore(saved); err != nil {
		t.Fatal(err)
	}
	return r
}
