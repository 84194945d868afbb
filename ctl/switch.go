package ctl

import (
	"context"
	"maps"
	"slices"
	"sort"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

// AddBridge creates a bridge (ovs-vsctl add-br).
func (s *Server) AddBridge(_ context.Context, r *ctlpb.AddBridgeRequest) (*ctlpb.AddBridgeResponse, error) {
	mode, err := datapath.ParseFailMode(r.FailMode)
	if err != nil {
		return nil, invalid("%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dp.Bridge(r.Name) != nil && r.MayExist {
		return &ctlpb.AddBridgeResponse{}, nil
	}
	if _, err := s.dp.AddBridge(r.Name, mode); err != nil {
		return nil, status.Error(codes.AlreadyExists, err.Error())
	}
	s.log.Debug("bridge added", zap.String("bridge", r.Name), zap.String("fail_mode", mode.String()))
	return &ctlpb.AddBridgeResponse{}, s.save()
}

// DelBridge removes a bridge and its ports (ovs-vsctl del-br).
func (s *Server) DelBridge(_ context.Context, r *ctlpb.DelBridgeRequest) (*ctlpb.DelBridgeResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.dp.Bridge(r.Name)
	if b == nil {
		if r.IfExists {
			return &ctlpb.DelBridgeResponse{}, nil
		}
		return nil, status.Errorf(codes.NotFound, "no bridge named %s", r.Name)
	}
	for _, p := range b.Ports() {
		delete(s.ports, p.Name)
	}
	if err := s.dp.DelBridge(r.Name); err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	s.log.Debug("bridge deleted", zap.String("bridge", r.Name))
	return &ctlpb.DelBridgeResponse{}, s.save()
}

// ListBridges describes every bridge and its ports.
func (s *Server) ListBridges(context.Context, *ctlpb.ListBridgesRequest) (*ctlpb.ListBridgesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &ctlpb.ListBridgesResponse{}
	for _, b := range s.dp.Bridges() {
		out.Bridges = append(out.Bridges, &ctlpb.Bridge{Name: b.Name, FailMode: b.FailMode.String(), Ports: s.portList(b)})
	}
	return out, nil
}

// ListPorts lists a bridge's ports.
func (s *Server) ListPorts(_ context.Context, r *ctlpb.ListPortsRequest) (*ctlpb.ListPortsResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &ctlpb.ListPortsResponse{Ports: s.portList(b)}, nil
}

func (s *Server) portList(b *datapath.Bridge) []*ctlpb.Port {
	var out []*ctlpb.Port
	for _, p := range b.Ports() {
		if p == b.Local {
			continue
		}
		mode, tag, hasTag, trunks := p.VLAN()
		pp := &ctlpb.Port{Name: p.Name, Ofport: uint32(p.OFPort), Type: p.Type, VlanMode: mode.String(), Bridge: b.Name}
		if hasTag {
			t := uint32(tag)
			pp.Tag = &t
		}
		for _, v := range trunks {
			pp.Trunks = append(pp.Trunks, uint32(v))
		}
		if pc, ok := s.ports[p.Name]; ok {
			pp.Options = pc.Options
		}
		out = append(out, pp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ofport < out[j].Ofport })
	return out
}

// AddPort attaches a port (ovs-vsctl add-port).
func (s *Server) AddPort(_ context.Context, r *ctlpb.AddPortRequest) (*ctlpb.AddPortResponse, error) {
	if r.Port == nil || r.Port.Name == "" {
		return nil, invalid("add-port needs a port name")
	}
	pc := portConfig(r.Port)
	if err := config.ValidatePort(pc); err != nil {
		return nil, invalid("%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.dp.PortByName(pc.Name); p != nil && r.MayExist {
		return &ctlpb.AddPortResponse{Ofport: uint32(p.OFPort)}, nil
	}
	if err := s.addPort(r.Bridge, pc); err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	if err := s.playRx(pc); err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	p := s.dp.PortByName(pc.Name)
	s.log.Debug("port added", zap.String("bridge", r.Bridge), zap.String("port", pc.Name), zap.Uint16("ofport", uint16(p.OFPort)), zap.String("type", string(pc.Type)))
	return &ctlpb.AddPortResponse{Ofport: uint32(p.OFPort)}, s.save()
}

// addPort builds, opens and attaches a port. Callers hold s.mu.
func (s *Server) addPort(bridge string, pc config.Port) error {
	if s.dp.Bridge(bridge) == nil {
		return status.Errorf(codes.NotFound, "no bridge named %s", bridge)
	}
	p, err := vswitch.AttachPort(s.dp, bridge, pc, s.open)
	if err != nil {
		return err
	}
	pc.OFPort = uint16(p.OFPort)
	s.ports[pc.Name] = pc
	return nil
}

// DelPort detaches a port (ovs-vsctl del-port).
func (s *Server) DelPort(_ context.Context, r *ctlpb.DelPortRequest) (*ctlpb.DelPortResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.dp.PortByName(r.Name)
	if p == nil && r.IfExists {
		return &ctlpb.DelPortResponse{}, nil
	}
	if p != nil && r.Bridge != "" && p.Bridge.Name != r.Bridge {
		// As ovs-vsctl del-port BRIDGE PORT.
		return nil, status.Errorf(codes.NotFound, "bridge %s does not have a port %s (it is on %s)", r.Bridge, r.Name, p.Bridge.Name)
	}
	if err := s.dp.DelPort(r.Name); err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	delete(s.ports, r.Name)
	s.log.Debug("port deleted", zap.String("port", r.Name))
	return &ctlpb.DelPortResponse{}, s.save()
}

// SetPort changes a port's VLAN settings or options (ovs-vsctl set Port).
// VLAN settings change in place; a change of options re-creates the port's
// device. Its OpenFlow number stays.
func (s *Server) SetPort(_ context.Context, r *ctlpb.SetPortRequest) (*ctlpb.SetPortResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.dp.PortByName(r.Name)
	pc, ok := s.ports[r.Name]
	if p == nil || !ok {
		return nil, status.Errorf(codes.NotFound, "no port named %s", r.Name)
	}
	bridge := p.Bridge.Name
	old := pc
	// pc shares its map and slice with the remembered configuration: copy
	// them, or a refused change would still be half applied (and saved).
	pc.Options = maps.Clone(pc.Options)
	pc.Trunks = slices.Clone(pc.Trunks)
	switch {
	case r.ClearTag:
		pc.Tag = nil
	case r.Tag != nil:
		t := uint16(*r.Tag)
		pc.Tag = &t
	}
	if r.SetTrunks {
		pc.Trunks = nil
		for _, v := range r.Trunks {
			pc.Trunks = append(pc.Trunks, uint16(v))
		}
	}
	if r.VlanMode != "" {
		pc.VLANMode = r.VlanMode
	}
	for k, v := range r.Options {
		if pc.Options == nil {
			pc.Options = map[string]string{}
		}
		pc.Options[k] = v
	}
	if err := config.ValidatePort(pc); err != nil {
		return nil, invalid("%v", err)
	}
	pc.OFPort = uint16(p.OFPort)
	if pc.Type == old.Type && maps.Equal(pc.Options, old.Options) {
		// Only VLAN settings change (Neutron tags a port right after
		// adding it): keep the device, which may be a VM's tap.
		mode, tag, hasTag, err := vswitch.VLANOf(pc)
		if err != nil {
			return nil, invalid("%v", err)
		}
		p.SetVLAN(mode, tag, hasTag, pc.Trunks)
		s.ports[r.Name] = pc
		s.log.Debug("port VLAN changed", zap.String("port", r.Name))
		return &ctlpb.SetPortResponse{}, s.save()
	}
	if err := s.dp.DelPort(r.Name); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := s.addPort(bridge, pc); err != nil {
		// Put the port back as it was rather than lose it.
		if rerr := s.addPort(bridge, old); rerr != nil {
			delete(s.ports, r.Name)
			s.log.Error("port lost: cannot restore it after a failed change", zap.String("port", r.Name), zap.Error(rerr))
			s.save()
		}
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	s.log.Debug("port changed", zap.String("port", r.Name))
	return &ctlpb.SetPortResponse{}, s.save()
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
