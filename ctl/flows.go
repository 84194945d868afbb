package ctl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/flowtable"
	"github.com/gvs-project/gvs/vswitch"
)

// ModFlows applies flow-mods atomically (ovs-ofctl add-flow(s), mod-flows,
// del-flows).
func (s *Server) ModFlows(_ context.Context, r *ctlpb.ModFlowsRequest) (*ctlpb.ModFlowsResponse, error) {
	cmd, err := vswitch.ParseCommand(r.Command, r.Strict)
	if err != nil {
		return nil, grpcError(err)
	}
	n, err := s.sw.ModFlows(r.Bridge, cmd, r.Flows)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.ModFlowsResponse{Applied: uint32(n)}, nil
}

// ReplaceFlows swaps in a whole new flow set at once.
func (s *Server) ReplaceFlows(_ context.Context, r *ctlpb.ReplaceFlowsRequest) (*ctlpb.ReplaceFlowsResponse, error) {
	n, err := s.sw.ReplaceFlows(r.Bridge, r.Flows)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.ReplaceFlowsResponse{Flows: uint32(n)}, nil
}

// DumpFlows lists flows in the ovs-ofctl dump-flows shape, optionally
// filtered by a match (loose, as OVS filters). The reply is one message,
// so a dump larger than gRPC's message limit is refused with a pointer to
// StreamDumpFlows.
func (s *Server) DumpFlows(_ context.Context, r *ctlpb.DumpFlowsRequest) (*ctlpb.DumpFlowsResponse, error) {
	d, err := s.newFlowDump(r)
	if err != nil {
		return nil, err
	}
	out := &ctlpb.DumpFlowsResponse{}
	for _, f := range d.flows {
		d.add(out, f)
	}
	if n := proto.Size(out); n > unaryLimit {
		return nil, status.Errorf(codes.ResourceExhausted, "%d flows make a %d-byte reply, more than one message holds (%d): use StreamDumpFlows (gvsctl dump-flows does)", len(d.flows), n, unaryLimit)
	}
	return out, nil
}

// unaryLimit is gRPC's default limit on a message a client receives.
const unaryLimit = 4 << 20

// StreamDumpFlows is DumpFlows in messages of about chunkBytes of text,
// in dump order. The flows are those of the table when the call began;
// each is formatted only as its chunk is sent.
func (s *Server) StreamDumpFlows(r *ctlpb.DumpFlowsRequest, st ctlpb.Flows_StreamDumpFlowsServer) error {
	d, err := s.newFlowDump(r)
	if err != nil {
		return err
	}
	out, size := &ctlpb.DumpFlowsResponse{}, 0
	for i, f := range d.flows {
		size += d.add(out, f)
		d.flows[i] = nil // let a flow deleted meanwhile go
		if size >= chunkBytes {
			if err := st.Send(out); err != nil {
				return err
			}
			out, size = &ctlpb.DumpFlowsResponse{}, 0
		}
	}
	if len(out.Lines) > 0 || len(d.flows) == 0 {
		return st.Send(out) // the last chunk, or one empty message for no flows
	}
	return nil
}

// flowDump is a dump in progress: the selected flows and how to print them.
type flowDump struct {
	flows []*flowtable.Flow
	opts  flowtable.FormatOptions
	now   time.Time
	of13  bool
	// linesOnly: the request wants no structured flows.
	linesOnly bool
}

func (s *Server) newFlowDump(r *ctlpb.DumpFlowsRequest) (*flowDump, error) {
	b, flows, err := s.sw.DumpFlows(r.Bridge, r.Match)
	if err != nil {
		return nil, grpcError(err)
	}
	now := time.Now()
	d := &flowDump{flows: flows, now: now, of13: r.Openflow13, linesOnly: r.LinesOnly,
		opts: flowtable.FormatOptions{NoStats: r.NoStats, OF13: r.Openflow13, Now: now}}
	if r.Names {
		d.opts.Names, d.opts.PortName = true, b.PortName
	}
	return d, nil
}

// add appends flow f to out and returns how many bytes of text it added.
func (d *flowDump) add(out *ctlpb.DumpFlowsResponse, f *flowtable.Flow) int {
	line := f.Format(d.opts)
	out.Lines = append(out.Lines, line)
	if d.linesOnly {
		return len(line)
	}
	pk, by := f.Stats()
	fs := &ctlpb.FlowStats{Table: uint32(f.Table), Priority: uint32(f.Priority), Cookie: f.Cookie,
		NPackets: pk, NBytes: by, DurationSeconds: d.now.Sub(f.Created).Seconds(),
		Match:   flowtable.FormatMatch(&f.Match, f.Priority),
		Actions: flowtable.FormatActions(f.Actions, flowtable.FormatOptions{OF13: d.of13})}
	out.Flows = append(out.Flows, fs)
	return len(line) + len(fs.Match) + len(fs.Actions)
}

// DumpTables gives per-table counters (ovs-ofctl dump-tables).
func (s *Server) DumpTables(_ context.Context, r *ctlpb.DumpTablesRequest) (*ctlpb.DumpTablesResponse, error) {
	b, err := s.sw.Bridge(r.Bridge)
	if err != nil {
		return nil, grpcError(err)
	}
	out := &ctlpb.DumpTablesResponse{}
	var text strings.Builder
	for id := 0; id < flowtable.NumTables; id++ {
		t := b.Flows.Table(uint8(id))
		n := t.Len()
		lookups, matched := t.Counters()
		if n == 0 && lookups == 0 {
			continue
		}
		out.Tables = append(out.Tables, &ctlpb.TableStats{Table: uint32(id), Active: uint64(n), Lookups: lookups, Matched: matched})
		fmt.Fprintf(&text, "  table %d:\n    active=%d, lookup=%d, matched=%d\n    max_entries=1000000\n", id, n, lookups, matched)
	}
	out.Text = text.String()
	return out, nil
}
