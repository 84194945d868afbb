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
	frames, err := readRx(pc)
	if err != nil {
		return err
	}
	return s.inject(pc.Name, frames)
}

// readRx reads the frames of a pcap port's rx file; other ports, and a
// pcap port without one, have none. It is the one place an rx file is
// read.
func readRx(pc config.Port) ([]datapath.PcapFrame, error) {
	if pc.Type != config.KindPcap || pc.Options["rx"] == "" {
		return nil, nil
	}
	frames, err := datapath.ReadPcap(pc.Options["rx"])
	if err != nil {
		return nil, fmt.Errorf("port %s: %w", pc.Name, err)
	}
	return frames, nil
}

// inject runs frames through the pipeline as received on the named port.
// Callers hold s.mu.
func (s *Switch) inject(port string, frames []datapath.PcapFrame) error {
	if len(frames) == 0 {
		return nil
	}
	p := s.dp.PortByName(port)
	if p == nil {
		return fmt.Errorf("port %s vanished", port)
	}
	for _, f := range frames {
		s.w.Inject(p, f.Data)
	}
	return nil
}
