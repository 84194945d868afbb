package ctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/vswitch"
)

// AddBridge creates a bridge (ovs-vsctl add-br).
func (s *Server) AddBridge(_ context.Context, r *ctlpb.AddBridgeRequest) (*ctlpb.AddBridgeResponse, error) {
	return &ctlpb.AddBridgeResponse{}, grpcError(s.sw.AddBridge(r.Name, r.FailMode, r.MayExist))
}

// DelBridge removes a bridge and its ports (ovs-vsctl del-br).
func (s *Server) DelBridge(_ context.Context, r *ctlpb.DelBridgeRequest) (*ctlpb.DelBridgeResponse, error) {
	return &ctlpb.DelBridgeResponse{}, grpcError(s.sw.DelBridge(r.Name, r.IfExists))
}

// ListBridges describes every bridge and its ports.
func (s *Server) ListBridges(context.Context, *ctlpb.ListBridgesRequest) (*ctlpb.ListBridgesResponse, error) {
	out := &ctlpb.ListBridgesResponse{}
	for _, b := range s.sw.Bridges() {
		out.Bridges = append(out.Bridges, &ctlpb.Bridge{Name: b.Name, FailMode: b.FailMode, Ports: portsOut(b.Ports)})
	}
	return out, nil
}

// ListPorts lists a bridge's ports.
func (s *Server) ListPorts(_ context.Context, r *ctlpb.ListPortsRequest) (*ctlpb.ListPortsResponse, error) {
	ports, err := s.sw.Ports(r.Bridge)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.ListPortsResponse{Ports: portsOut(ports)}, nil
}

func portsOut(ports []vswitch.PortInfo) []*ctlpb.Port {
	var out []*ctlpb.Port
	for _, p := range ports {
		pp := &ctlpb.Port{Name: p.Name, Ofport: uint32(p.OFPort), Type: string(p.Kind), VlanMode: p.VLANMode, Bridge: p.Bridge, Options: p.Options,
			Error: p.Error, LinkState: linkState(p.LinkUp)}
		if p.Tag != nil {
			t := uint32(*p.Tag)
			pp.Tag = &t
		}
		for _, v := range p.Trunks {
			pp.Trunks = append(pp.Trunks, uint32(v))
		}
		out = append(out, pp)
	}
	return out
}

// linkState spells a port's link state as Open vSwitch's Interface
// link_state column does.
func linkState(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// writePortState adds a down port's state to its dump-ports entry, in the
// words of ovs-ofctl show ("state: LINK_DOWN") and of the Interface error
// column; an up port has no such line.
func writePortState(t *strings.Builder, st vswitch.PortStats) {
	switch {
	case st.Error != "":
		fmt.Fprintf(t, "           state: LINK_DOWN, error: %q\n", st.Error)
	case !st.LinkUp:
		fmt.Fprintf(t, "           state: LINK_DOWN\n")
	}
}

// AddPort attaches a port (ovs-vsctl add-port).
func (s *Server) AddPort(ctx context.Context, r *ctlpb.AddPortRequest) (*ctlpb.AddPortResponse, error) {
	if r.Port == nil {
		return nil, invalid("add-port needs a port")
	}
	pc := portConfig(r.Port)
	if err := s.confinePcapPaths(ctx, pc.Options); err != nil {
		return nil, grpcError(err)
	}
	n, err := s.sw.AddPort(r.Bridge, pc, r.MayExist)
	if err != nil {
		return nil, grpcError(err)
	}
	// A port whose interface is missing is added, down: say why, as
	// ovs-vsctl warns of it.
	return &ctlpb.AddPortResponse{Ofport: uint32(n), Error: s.sw.PortFault(r.Port.Name)}, nil
}

// DelPort detaches a port (ovs-vsctl del-port).
func (s *Server) DelPort(_ context.Context, r *ctlpb.DelPortRequest) (*ctlpb.DelPortResponse, error) {
	return &ctlpb.DelPortResponse{}, grpcError(s.sw.DelPort(r.Bridge, r.Name, r.IfExists))
}

// SetPort changes a port's VLAN settings or options (ovs-vsctl set Port).
func (s *Server) SetPort(ctx context.Context, r *ctlpb.SetPortRequest) (*ctlpb.SetPortResponse, error) {
	if err := s.confinePcapPaths(ctx, r.Options); err != nil {
		return nil, grpcError(err)
	}
	c := vswitch.PortChange{ClearTag: r.ClearTag, SetTrunks: r.SetTrunks, VLANMode: r.VlanMode, Options: r.Options}
	if r.Tag != nil {
		t := uint16(*r.Tag)
		c.Tag = &t
	}
	for _, v := range r.Trunks {
		c.Trunks = append(c.Trunks, uint16(v))
	}
	return &ctlpb.SetPortResponse{}, grpcError(s.sw.SetPort(r.Name, c))
}

func portConfig(p *ctlpb.Port) config.Port {
	pc := config.Port{Name: p.Name, OFPort: uint16(p.Ofport), Type: config.PortKind(p.Type), VLANMode: p.VlanMode, Options: p.Options}
	if pc.Type == "" {
		pc.Type = config.KindSystem
	}
	if p.Tag != nil {
		t := uint16(*p.Tag)
		pc.Tag = &t
	}
	for _, v := range p.Trunks {
		pc.Trunks = append(pc.Trunks, uint16(v))
	}
	if pc.Options == nil {
		pc.Options = map[string]string{}
	}
	return pc
}
