package ctl

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
	"github.com/gvs-project/gvs/vswitch"
)

// DumpAggregate sums the packet and byte counters of the flows r's match
// selects, as ovs-ofctl dump-aggregate does (the same loose match,
// table= and cookie=V/M, as DumpFlows).
func (s *Server) DumpAggregate(_ context.Context, r *ctlpb.DumpAggregateRequest) (*ctlpb.DumpAggregateResponse, error) {
	_, flows, err := s.sw.DumpFlows(r.Bridge, r.Match)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &ctlpb.DumpAggregateResponse{FlowCount: uint64(len(flows))}
	for _, f := range flows {
		pk, by := f.Stats()
		out.PacketCount += pk
		out.ByteCount += by
	}
	return out, nil
}

// PortsDesc describes a bridge's ports (one, if r names it) in the shape
// of ovs-ofctl dump-ports-desc: LOCAL last, config PORT_DOWN when the
// device cannot be used, state LINK_DOWN when the port does not forward.
func (s *Server) PortsDesc(_ context.Context, r *ctlpb.PortsDescRequest) (*ctlpb.PortsDescResponse, error) {
	b, err := s.sw.Bridge(r.Bridge)
	if err != nil {
		return nil, grpcError(err)
	}
	ports := b.Ports()
	if r.Port != "" {
		p, err := vswitch.PortRef(b, r.Port)
		if err != nil {
			return nil, grpcError(err)
		}
		ports = []*datapath.Port{p}
	}
	out := &ctlpb.PortsDescResponse{}
	var text strings.Builder
	for _, p := range ports {
		d := portDesc(p)
		out.Ports = append(out.Ports, d)
		writePortDesc(&text, d)
	}
	out.Text = text.String()
	return out, nil
}

// portDesc is what PortsDesc reports of p.
func portDesc(p *datapath.Port) *ctlpb.PortDesc {
	d := &ctlpb.PortDesc{Name: p.Name, Ofport: strconv.Itoa(int(p.OFPort)), Addr: "00:00:00:00:00:00", LinkDown: !p.Up.Load()}
	if p.OFPort == flowtable.PortLocal {
		d.Ofport = "LOCAL"
	}
	switch p.Type {
	case "tap", "internal", "system", "afxdp":
		// Ports with a host interface have its address.
		if ifi, err := net.InterfaceByName(p.Name); err == nil && len(ifi.HardwareAddr) == 6 {
			d.Addr = ifi.HardwareAddr.String()
		}
	}
	if f, ok := p.Dev.(vswitch.DeviceFault); ok && f.Fault() != nil {
		d.PortDown = true
	}
	return d
}

// writePortDesc writes d as ovs-ofctl prints a port (speeds are unknown
// to gvs: 0, as OVS prints them for its dummy ports).
func writePortDesc(w *strings.Builder, d *ctlpb.PortDesc) {
	config, state := "0", "0"
	if d.PortDown {
		config = "PORT_DOWN"
	}
	if d.LinkDown {
		state = "LINK_DOWN"
	}
	fmt.Fprintf(w, " %s(%s): addr:%s\n     config:     %s\n     state:      %s\n     speed: 0 Mbps now, 0 Mbps max\n",
		d.Ofport, d.Name, d.Addr, config, state)
}

// SetFrags sets a bridge's IP fragment handling (ovs-ofctl set-frags).
func (s *Server) SetFrags(_ context.Context, r *ctlpb.SetFragsRequest) (*ctlpb.SetFragsResponse, error) {
	if err := s.sw.SetFrags(r.Bridge, r.Mode); err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.SetFragsResponse{}, nil
}

// GetFrags returns a bridge's IP fragment handling (ovs-ofctl get-frags).
func (s *Server) GetFrags(_ context.Context, r *ctlpb.GetFragsRequest) (*ctlpb.GetFragsResponse, error) {
	mode, err := s.sw.Frags(r.Bridge)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.GetFragsResponse{Mode: mode}, nil
}

// TraceCT is Trace in which resumed ct() traversals report the ct_state
// of r.CtNext in turn (ofproto/trace --ct-next).
func (s *Server) TraceCT(_ context.Context, r *ctlpb.TraceCTRequest) (*ctlpb.TraceResponse, error) {
	t := r.Trace
	if t == nil {
		return nil, invalid("TraceCT needs a trace")
	}
	next := make([]uint64, len(r.CtNext))
	for i, st := range r.CtNext {
		if st > 0xff {
			return nil, invalid("ct_next[%d] = %#x: ct_state has 8 bits", i, st)
		}
		next[i] = uint64(st)
	}
	text, err := s.sw.TraceCT(t.Bridge, t.InPort, t.Frame, t.Flow, next)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.TraceResponse{Text: text}, nil
}
