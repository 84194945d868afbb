package ctl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/fdb"
	"github.com/gvs-project/gvs/flowtable"
)

// port finds a bridge's port by name or OpenFlow number.
func (s *Server) port(b *datapath.Bridge, ref string) (*datapath.Port, error) {
	if p := b.PortByName(ref); p != nil {
		return p, nil
	}
	if ref == "LOCAL" {
		return b.Local, nil
	}
	if n, err := strconv.ParseUint(ref, 0, 16); err == nil {
		if p := b.Port(flowtable.Port(n)); p != nil {
			return p, nil
		}
	}
	return nil, status.Errorf(codes.NotFound, "bridge %s has no port %q", b.Name, ref)
}

// PacketOut injects frames as if received on a port.
func (s *Server) PacketOut(_ context.Context, r *ctlpb.PacketOutRequest) (*ctlpb.PacketOutResponse, error) {
	// The port is resolved under the lock, so it cannot be deleted (and
	// its device closed) between the lookup and the injection.
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	p, err := s.port(b, r.InPort)
	if err != nil {
		return nil, err
	}
	for _, f := range r.Frames {
		s.w.Inject(p, f)
	}
	return &ctlpb.PacketOutResponse{}, nil
}

// Trace explains what the pipeline does with a frame or a flow, without
// sending anything or changing any state.
func (s *Server) Trace(_ context.Context, r *ctlpb.TraceRequest) (*ctlpb.TraceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	if len(r.Frame) > 0 {
		p, err := s.port(b, r.InPort)
		if err != nil {
			return nil, err
		}
		return &ctlpb.TraceResponse{Text: s.w.TraceFrame(p, r.Frame)}, nil
	}
	m, err := flowtable.ParseFlowWith(r.Flow, flowtable.CmdDelete, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		return nil, invalid("%v", err)
	}
	return &ctlpb.TraceResponse{Text: s.w.TraceKey(b, &m.Flow.Match.Value)}, nil
}

// DumpPorts reports port counters in the ovs-ofctl dump-ports shape.
func (s *Server) DumpPorts(_ context.Context, r *ctlpb.DumpPortsRequest) (*ctlpb.DumpPortsResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	ports := b.Ports()
	if r.Port != "" {
		p, err := s.port(b, r.Port)
		if err != nil {
			return nil, err
		}
		ports = []*datapath.Port{p}
	}
	out := &ctlpb.DumpPortsResponse{}
	var t strings.Builder
	fmt.Fprintf(&t, "OFPST_PORT reply (xid=0x2): %d ports\n", len(ports))
	for _, p := range ports {
		st := &p.Stats
		ps := &ctlpb.PortStats{Name: p.Name, Ofport: uint32(p.OFPort),
			RxPackets: st.RxPackets.Load(), RxBytes: st.RxBytes.Load(), RxDropped: st.RxDropped.Load(),
			TxPackets: st.TxPackets.Load(), TxBytes: st.TxBytes.Load(), TxDropped: st.TxDropped.Load()}
		out.Ports = append(out.Ports, ps)
		no := fmt.Sprintf("%2d", p.OFPort)
		if p == b.Local {
			no = "LOCAL"
		}
		fmt.Fprintf(&t, "  port %s: rx pkts=%d, bytes=%d, drop=%d, errs=0, frame=0, over=0, crc=0\n", no, ps.RxPackets, ps.RxBytes, ps.RxDropped)
		fmt.Fprintf(&t, "           tx pkts=%d, bytes=%d, drop=%d, errs=0, coll=0\n", ps.TxPackets, ps.TxBytes, ps.TxDropped)
	}
	out.Text = t.String()
	return out, nil
}

// Drops reports each bridge's drops by reason and its malformed count.
func (s *Server) Drops(_ context.Context, r *ctlpb.DropsRequest) (*ctlpb.DropsResponse, error) {
	out := &ctlpb.DropsResponse{}
	for _, b := range s.dp.Bridges() {
		if r.Bridge != "" && b.Name != r.Bridge {
			continue
		}
		bd := &ctlpb.BridgeDrops{Bridge: b.Name, Reasons: map[string]uint64{}, Malformed: b.Malformed.Load()}
		for _, reason := range datapath.DropReasons() {
			bd.Reasons[reason.String()] = b.Drops(reason)
		}
		out.Bridges = append(out.Bridges, bd)
	}
	return out, nil
}

// FDBShow prints the MAC table in the ovs-appctl fdb/show shape.
func (s *Server) FDBShow(_ context.Context, r *ctlpb.FDBShowRequest) (*ctlpb.FDBShowResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	entries := b.FDB.Entries(time.Now().UnixNano())
	name := func(p fdb.Port) string {
		if n, ok := b.PortName(flowtable.Port(p)); ok {
			return n
		}
		if flowtable.Port(p) == flowtable.PortLocal {
			return "LOCAL"
		}
		return strconv.Itoa(int(p))
	}
	out := &ctlpb.FDBShowResponse{Text: fdb.FormatShow(entries, nil)}
	for _, e := range entries {
		out.Entries = append(out.Entries, &ctlpb.FDBEntry{Port: name(e.Port), Vlan: uint32(e.VLAN),
			Mac:        fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", e.MAC[0], e.MAC[1], e.MAC[2], e.MAC[3], e.MAC[4], e.MAC[5]),
			AgeSeconds: uint32(e.Age / time.Second)})
	}
	return out, nil
}

// FDBFlush empties the MAC table of one bridge or all.
func (s *Server) FDBFlush(_ context.Context, r *ctlpb.FDBFlushRequest) (*ctlpb.FDBFlushResponse, error) {
	for _, b := range s.dp.Bridges() {
		if r.Bridge == "" || b.Name == r.Bridge {
			b.FDB.Flush()
		}
	}
	if r.Bridge != "" && s.dp.Bridge(r.Bridge) == nil {
		return nil, status.Errorf(codes.NotFound, "no bridge named %s", r.Bridge)
	}
	return &ctlpb.FDBFlushResponse{}, nil
}

// Capture streams copies of the frames a port receives and/or sends. Frames
// that arrive faster than the client reads are dropped, never queued
// without bound.
func (s *Server) Capture(r *ctlpb.CaptureRequest, stream ctlpb.Datapath_CaptureServer) error {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return err
	}
	p, err := s.port(b, r.Port)
	if err != nil {
		return err
	}
	rx, tx := true, true
	switch r.Direction {
	case "", "both":
	case "rx", "in":
		tx = false
	case "tx", "out":
		rx = false
	default:
		return invalid("direction must be rx, tx or both, not %q", r.Direction)
	}
	ch := make(chan *ctlpb.CapturedFrame, 1024)
	tap := &datapath.Tap{Fn: func(frame []byte, isTx bool) {
		if isTx && !tx || !isTx && !rx {
			return
		}
		select {
		case ch <- &ctlpb.CapturedFrame{UnixNanos: time.Now().UnixNano(), Data: append([]byte(nil), frame...), Tx: isTx}:
		default:
		}
	}}
	p.AddTap(tap)
	defer p.RemoveTap(tap)
	sent := uint32(0)
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case <-s.quit:
			return nil // gvsd is stopping
		case f := <-ch:
			if err := stream.Send(f); err != nil {
				return err
			}
			sent++
			if r.Count > 0 && sent >= r.Count {
				return nil
			}
		}
	}
}
