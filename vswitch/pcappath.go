package vswitch

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// pcapFileOptions are the port options that name files gvsd opens.
var pcapFileOptions = []string{"rx", "tx"}

// ConfinePcap makes dir (absolute) the pcap directory: every pcap file
// the switch opens for its ports from then on (tx devices, rx files) is
// opened as datapath.OpenPcapFile does with dir — nothing within dir
// through a symbolic link, files created 0600, regular files only, never
// blocking — and ConfinePcapOptions confines callers' paths to it. Call it
// once, before the configuration or the state is loaded and before the
// switch is used concurrently (the directory is read without a lock).
func (s *Switch) ConfinePcap(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pcapDir = dir
	next := s.open
	s.open = func(bridge string, p config.Port) (datapath.Device, error) {
		if p.Type != config.KindPcap {
			return next(bridge, p)
		}
		tx := p.Options["tx"]
		if tx == "" {
			return datapath.Discard(), nil
		}
		if _, in := datapath.WithinDir(dir, tx); in {
			// Made when first needed: a gvsd nobody asks for a pcap
			// file leaves no directory behind.
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("pcap directory: %w", err)
			}
		}
		return datapath.AppendPcapIn(dir, tx, func() int64 { return time.Now().UnixNano() })
	}
}

// ConfinePcapOptions confines the rx and tx files of port options a caller
// sent (AddPort, SetPort) to the pcap directory, rewriting opts in place:
// a relative name is resolved inside the directory, an absolute one must
// lie within it, and a path with a ".." element is refused. An empty
// value (no file) is left alone. A refusal is an ErrRefused error naming
// the path and the directory; nothing is opened here.
func (s *Switch) ConfinePcapOptions(opts map[string]string) error {
	dir := s.pcapDir // set before serving, never changed
	for _, k := range pcapFileOptions {
		v, ok := opts[k]
		if !ok || v == "" {
			continue
		}
		if dir == "" {
			return errorf(ErrRefused, "options:%s=%s: no pcap directory is configured (pcap_dir), so only root may name pcap files", k, v)
		}
		p := v
		if !filepath.IsAbs(p) {
			p = dir + "/" + p
		}
		if _, ok := datapath.WithinDir(dir, p); !ok {
			return errorf(ErrRefused, "options:%s=%s: pcap files named by members of socket_group must lie inside the pcap directory %s (name them relative to it, without ..)", k, v, dir)
		}
		opts[k] = filepath.Clean(p)
	}
	return nil
}

// readRx reads the frames of a pcap port's rx file (none for other ports
// or without rx). It takes no lock: AddPort reads before it locks the
// switch, so that no file, however slow, holds the control API.
func (s *Switch) readRx(pc config.Port) ([]datapath.PcapFrame, error) {
	if pc.Type != config.KindPcap || pc.Options["rx"] == "" {
		return nil, nil
	}
	frames, err := datapath.ReadPcapIn(s.pcapDir, pc.Options["rx"])
	if err != nil {
		return nil, fmt.Errorf("port %s: %w", pc.Name, err)
	}
	return frames, nil
}

// injectRx injects frames read by readRx as received on the named port.
// Callers hold s.mu.
func (s *Switch) injectRx(name string, frames []datapath.PcapFrame) error {
	if len(frames) == 0 {
		return nil
	}
	p := s.dp.PortByName(name)
	if p == nil {
		return fmt.Errorf("port %s vanished", name)
	}
	for _, f := range frames {
		s.w.Inject(p, f.Data)
	}
	return nil
}
