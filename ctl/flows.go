package ctl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

func parseCommand(cmd string, strict bool) (flowtable.Command, error) {
	switch cmd {
	case "", "add":
		return flowtable.CmdAdd, nil
	case "modify", "mod":
		if strict {
			return flowtable.CmdModifyStrict, nil
		}
		return flowtable.CmdModify, nil
	case "delete", "del":
		if strict {
			return flowtable.CmdDeleteStrict, nil
		}
		return flowtable.CmdDelete, nil
	}
	return 0, fmt.Errorf("unknown flow command %q", cmd)
}

// parseMods parses flow lines; errors name the flow's position.
func parseMods(b *datapath.Bridge, lines []string, cmd flowtable.Command) ([]*flowtable.FlowMod, error) {
	text := strings.Join(lines, "\n")
	mods, err := flowtable.ParseFlowsWith(strings.NewReader(text), cmd, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		return nil, invalid("%v", err)
	}
	return mods, nil
}

// ModFlows applies flow-mods atomically (ovs-ofctl add-flow(s), mod-flows,
// del-flows).
func (s *Server) ModFlows(_ context.Context, r *ctlpb.ModFlowsRequest) (*ctlpb.ModFlowsResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	cmd, err := parseCommand(r.Command, r.Strict)
	if err != nil {
		return nil, invalid("%v", err)
	}
	var mods []*flowtable.FlowMod
	if cmd == flowtable.CmdDelete && strings.TrimSpace(strings.Join(r.Flows, "")) == "" {
		// del-flows BR: every flow of every table. (A flow file parser
		// skips blank lines, so "" must go through the one-flow parser.)
		m, err := flowtable.ParseFlowWith("", cmd, flowtable.ParseOptions{Ports: b.ResolvePort})
		if err != nil {
			return nil, invalid("%v", err)
		}
		mods = []*flowtable.FlowMod{m}
	} else if mods, err = parseMods(b, r.Flows, cmd); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sameBridge(b); err != nil {
		return nil, err
	}
	if err := b.Flows.Apply(mods, time.Now()); err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	for _, m := range mods {
		s.log.Debug("flow-mod", zap.String("bridge", b.Name), zap.Stringer("command", m.Command),
			zap.String("flow", strings.TrimSpace(m.Flow.Format(flowtable.FormatOptions{NoStats: true, OF13: true}))))
	}
	return &ctlpb.ModFlowsResponse{Applied: uint32(len(mods))}, s.save()
}

// ReplaceFlows swaps in a whole new flow set at once.
func (s *Server) ReplaceFlows(_ context.Context, r *ctlpb.ReplaceFlowsRequest) (*ctlpb.ReplaceFlowsResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	mods, err := parseMods(b, r.Flows, flowtable.CmdAdd)
	if err != nil {
		return nil, err
	}
	flows := make([]*flowtable.Flow, 0, len(mods))
	for _, m := range mods {
		if m.Command != flowtable.CmdAdd {
			return nil, invalid("replace-flows takes flows to add, not %s", m.Command)
		}
		flows = append(flows, m.Flow)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sameBridge(b); err != nil {
		return nil, err
	}
	if err := b.Flows.Replace(flows, time.Now()); err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	s.log.Debug("flows replaced", zap.String("bridge", b.Name), zap.Int("flows", len(flows)))
	return &ctlpb.ReplaceFlowsResponse{Flows: uint32(len(flows))}, s.save()
}

// DumpFlows lists flows in the ovs-ofctl dump-flows shape, optionally
// filtered by a match (loose, as OVS filters).
func (s *Server) DumpFlows(_ context.Context, r *ctlpb.DumpFlowsRequest) (*ctlpb.DumpFlowsResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
	}
	var sel *flowtable.FlowMod
	if strings.TrimSpace(r.Match) != "" {
		if sel, err = flowtable.ParseFlowWith(r.Match, flowtable.CmdDelete, flowtable.ParseOptions{Ports: b.ResolvePort}); err != nil {
			return nil, invalid("%v", err)
		}
	}
	now := time.Now()
	opts := flowtable.FormatOptions{NoStats: r.NoStats, OF13: r.Openflow13, Now: now}
	if r.Names {
		opts.Names, opts.PortName = true, b.PortName
	}
	out := &ctlpb.DumpFlowsResponse{}
	for _, f := range b.Flows.Flows(func(f *flowtable.Flow) bool { return selects(sel, f) }) {
		out.Lines = append(out.Lines, f.Format(opts))
		pk, by := f.Stats()
		out.Flows = append(out.Flows, &ctlpb.FlowStats{Table: uint32(f.Table), Priority: uint32(f.Priority), Cookie: f.Cookie,
			NPackets: pk, NBytes: by, DurationSeconds: now.Sub(f.Created).Seconds(),
			Match:   flowtable.FormatMatch(&f.Match, f.Priority),
			Actions: flowtable.FormatActions(f.Actions, flowtable.FormatOptions{OF13: r.Openflow13})})
	}
	return out, nil
}

// selects applies a dump-flows filter the way OVS does: table (or all),
// cookie under its mask, out_port, and a loose match.
func selects(sel *flowtable.FlowMod, f *flowtable.Flow) bool {
	if sel == nil {
		return true
	}
	if !sel.AllTables && f.Table != sel.Flow.Table {
		return false
	}
	if f.Cookie&sel.CookieMask != sel.Flow.Cookie&sel.CookieMask {
		return false
	}
	if sel.OutPort != flowtable.PortNone && !outputsTo(f.Actions, sel.OutPort) {
		return false
	}
	return sel.Flow.Match.Covers(&f.Match)
}

func outputsTo(acts []flowtable.Action, p flowtable.Port) bool {
	for _, a := range acts {
		if o, ok := a.(flowtable.Output); ok && o.Port == p {
			return true
		}
	}
	return false
}

// DumpTables gives per-table counters (ovs-ofctl dump-tables).
func (s *Server) DumpTables(_ context.Context, r *ctlpb.DumpTablesRequest) (*ctlpb.DumpTablesResponse, error) {
	b, err := s.bridge(r.Bridge)
	if err != nil {
		return nil, err
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

// sameBridge checks, under s.mu, that b is still the bridge of its name:
// flows are parsed before the lock is taken (a large file must not stall
// other calls), and the bridge may have been deleted or re-created since.
func (s *Server) sameBridge(b *datapath.Bridge) error {
	if s.dp.Bridge(b.Name) != b {
		return status.Errorf(codes.Aborted, "bridge %s was deleted or re-created meanwhile; try again", b.Name)
	}
	return nil
}
