package ctl

import (
	"context"
	"os"

	"go.uber.org/zap"
	"google.golang.org/grpc/peer"
)

// confinePcapPaths confines the pcap files a caller names in port options
// to gvsd's pcap directory (vswitch.Switch.ConfinePcapOptions), unless
// the caller is root or gvsd's own user: those could open any file
// themselves, as an Open vSwitch operator names any path. A caller whose
// credentials are unknown is confined. A refusal is logged with the
// caller's uid.
func (s *Server) confinePcapPaths(ctx context.Context, opts map[string]string) error {
	uid := -1
	if p, ok := peer.FromContext(ctx); ok {
		if c, ok := p.AuthInfo.(peerCreds); ok {
			uid = int(c.uid)
		}
	}
	if uid == 0 || uid == os.Geteuid() {
		return nil
	}
	err := s.sw.ConfinePcapOptions(opts)
	if err != nil {
		s.log.Warn("pcap file refused", zap.Int("uid", uid), zap.Error(err))
	}
	return err
}
