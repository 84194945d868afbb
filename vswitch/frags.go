package vswitch

import "github.com/gvs-project/gvs/datapath"

// SetFrags sets a bridge's IP fragment handling mode (normal, drop or
// nx-match), as ovs-ofctl set-frags does, and saves it. Unlike Open
// vSwitch, where the mode lives only as long as the daemon, gvs keeps it
// across restarts with the bridge's flows.
func (s *Switch) SetFrags(bridge, mode string) error {
	m, err := datapath.ParseFragMode(mode)
	if err != nil {
		return errorf(ErrInvalid, "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.Bridge(bridge)
	if err != nil {
		return err
	}
	b.SetFragMode(m)
	return s.save()
}

// Frags returns a bridge's fragment handling mode as ovs-ofctl get-frags
// prints it.
func (s *Switch) Frags(bridge string) (string, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return "", err
	}
	return b.FragMode().String(), nil
}
