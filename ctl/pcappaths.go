package ctl

import (
	"context"
	"os"

	"google.golang.org/grpc/peer"
)

// confinePcapPaths confines the pcap files a caller names in port options
// to gvsd's pcap directory (vswitch.Switch.ConfinePcapOptions), unless
// the caller is root or gvsd's own user: those could open any file
// themselves, as an Open vSwitch operator names any path. A caller whose
// credentials are unknown is confined.
func (s *Server) confinePcapPaths(ctx context.Context, opts map[string]string) error {
	if p, ok := peer.FromContext(ctx); ok {
		if c, ok := p.AuthInfo.(peerCreds); ok && (c.uid == 0 || c.uid == uint32(os.Geteuid())) {
			return nil
		}
	}
	return s.sw.ConfinePcapOptions(opts)
}
