package vswitch

import (
	"github.com/gvs-project/gvs/config"
)

// LoadConfig adds the configuration's bridges, ports and flows, then plays
// the rx file of every pcap port once, as the daemon does when such a port
// comes up.
func (s *Switch) LoadConfig(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := Load(s.dp, cfg, s.open); err != nil {
		return err
	}
	for _, bc := range cfg.Bridges {
		for _, pc := range bc.Ports {
			s.ports[pc.Name] = pc
		}
	}
	for _, bc := range cfg.Bridges {
		for _, pc := range bc.Ports {
			if err := s.playRx(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// playRx injects the frames of a pcap port's rx file. Callers hold s.mu
// (at start, before the control API serves).
func (s *Switch) playRx(pc config.Port) error {
	frames, err := s.readRx(pc)
	if err != nil {
		return err
	}
	return s.injectRx(pc.Name, frames)
}
