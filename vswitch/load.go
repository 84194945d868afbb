package vswitch

import (
	"fmt"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
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

// playRx injects the frames of a pcap port's rx file. Callers hold s.mu.
func (s *Switch) playRx(pc config.Port) error {
	if pc.Type != config.KindPcap || pc.Options["rx"] == "" {
		return nil
	}
	p := s.dp.PortByName(pc.Name)
	if p == nil {
		return fmt.Errorf("port %s vanished", pc.Name)
	}
	frames, err := datapath.ReadPcap(pc.Options["rx"])
	if err != nil {
		return fmt.Errorf("port %s: %w", pc.Name, err)
	}
	for _, f := range frames {
		s.w.Inject(p, f.Data)
	}
	return nil
}
