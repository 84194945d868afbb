package ctl

import (
	"context"
	"fmt"
	"strings"
	"time"

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
// filtered by a match (loose, as OVS filters).
func (s *Server) DumpFlows(_ context.Context, r *ctlpb.DumpFlowsRequest) (*ctlpb.DumpFlowsResponse, error) {
	b, flows, err := s.sw.DumpFlows(r.Bridge, r.Match)
	if err != nil {
		return nil, grpcError(err)
	}
	now := time.Now()
	opts := flowtable.FormatOptions{NoStats: r.NoStats, OF13: r.Openflow13, Now: now}
	if r.Names {
		opts.Names, opts.PortName = true, b.PortName
	}
	out := &ctlpb.DumpFlowsResponse{}
	for _, f := range flows {
		out.Lines = append(out.Lines, f.Format(opts))
		pk, by := f.Stats()
		out.Flows = append(out.Flows, &ctlpb.FlowStats{Table: uint32(f.Table), Priority: uint32(f.Priority), Cookie: f.Cookie,
			NPackets: pk, NBytes: by, DurationSeconds: now.Sub(f.Created).Seconds(),
			Match:   flowtable.FormatMatch(&f.Match, f.Priority),
			Actions: flowtable.FormatActions(f.Actions, flowtable.FormatOptions{OF13: r.Openflow13})})
	}
	return out, nil
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
