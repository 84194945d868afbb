package ctl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/fdb"
	"github.com/gvs-project/gvs/vswitch"
)

// PacketOut injects frames as if received on a port.
func (s *Server) PacketOut(_ context.Context, r *ctlpb.PacketOutRequest) (*ctlpb.PacketOutResponse, error) {
	if err := s.sw.PacketOut(r.Bridge, r.InPort, r.Frames); err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.PacketOutResponse{}, nil
}

// Trace explains what the pipeline does with a frame or a flow, without
// sending anything or changing any state.
func (s *Server) Trace(_ context.Context, r *ctlpb.TraceRequest) (*ctlpb.TraceResponse, error) {
	text, err := s.sw.Trace(r.Bridge, r.InPort, r.Frame, r.Flow)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.TraceResponse{Text: text}, nil
}

// DumpPorts reports port counters in the ovs-ofctl dump-ports shape.
func (s *Server) DumpPorts(_ context.Context, r *ctlpb.DumpPortsRequest) (*ctlpb.DumpPortsResponse, error) {
	ports, err := s.sw.PortStats(r.Bridge, r.Port)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &ctlpb.DumpPortsResponse{}
	var t strings.Builder
	fmt.Fprintf(&t, "OFPST_PORT reply (xid=0x2): %d ports\n", len(ports))
	for _, st := range ports {
		ps := &ctlpb.PortStats{Name: st.Name, Ofport: uint32(st.OFPort),
			RxPackets: st.RxPackets, RxBytes: st.RxBytes, RxDropped: st.RxDropped,
			TxPackets: st.TxPackets, TxBytes: st.TxBytes, TxDropped: st.TxDropped,
			LinkState: linkState(st.LinkUp), Error: st.Error}
		out.Ports = append(out.Ports, ps)
		no := fmt.Sprintf("%2d", st.OFPort)
		if st.Local {
			no = "LOCAL"
		}
		fmt.Fprintf(&t, "  port %s: rx pkts=%d, bytes=%d, drop=%d, errs=0, frame=0, over=0, crc=0\n", no, ps.RxPackets, ps.RxBytes, ps.RxDropped)
		fmt.Fprintf(&t, "           tx pkts=%d, bytes=%d, drop=%d, errs=0, coll=0\n", ps.TxPackets, ps.TxBytes, ps.TxDropped)
		writePortState(&t, st)
	}
	out.Text = t.String()
	return out, nil
}

// Drops reports each bridge's drops by reason and its malformed count.
func (s *Server) Drops(_ context.Context, r *ctlpb.DropsRequest) (*ctlpb.DropsResponse, error) {
	out := &ctlpb.DropsResponse{}
	if r.Bridge != "" {
		if _, err := s.sw.Bridge(r.Bridge); err != nil {
			return nil, grpcError(err)
		}
	}
	for _, d := range s.sw.Drops(r.Bridge) {
		out.Bridges = append(out.Bridges, &ctlpb.BridgeDrops{Bridge: d.Bridge, Reasons: d.Reasons, Malformed: d.Malformed})
	}
	return out, nil
}

// FDBShow prints the MAC table in the ovs-appctl fdb/show shape.
func (s *Server) FDBShow(_ context.Context, r *ctlpb.FDBShowRequest) (*ctlpb.FDBShowResponse, error) {
	entries, names, err := s.sw.FDB(r.Bridge)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &ctlpb.FDBShowResponse{Text: fdb.FormatShow(entries, nil)}
	for i, e := range entries {
		out.Entries = append(out.Entries, &ctlpb.FDBEntry{Port: names[i], Vlan: uint32(e.VLAN),
			Mac:        fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", e.MAC[0], e.MAC[1], e.MAC[2], e.MAC[3], e.MAC[4], e.MAC[5]),
			AgeSeconds: uint32(e.Age / time.Second)})
	}
	return out, nil
}

// FDBFlush empties the MAC table of one bridge or all.
func (s *Server) FDBFlush(_ context.Context, r *ctlpb.FDBFlushRequest) (*ctlpb.FDBFlushResponse, error) {
	if err := s.sw.FlushFDB(r.Bridge); err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.FDBFlushResponse{}, nil
}

// Capture streams copies of the frames a port receives and/or sends. Frames
// that arrive faster than the client reads are dropped, never queued
// without bound.
func (s *Server) Capture(r *ctlpb.CaptureRequest, stream ctlpb.Datapath_CaptureServer) error {
	b, err := s.sw.Bridge(r.Bridge)
	if err != nil {
		return grpcError(err)
	}
	p, err := vswitch.PortRef(b, r.Port)
	if err != nil {
		return grpcError(err)
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
	// Tells the client the capture is attached: it checks this before
	// it writes a pcap header.
	if err := stream.SendHeader(metadata.Pairs("gvs-capture", "attached")); err != nil {
		return err
	}
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
