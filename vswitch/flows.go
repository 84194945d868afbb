package vswitch

import (
	"io"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// ParseCommand reads an ovs-ofctl flow command name: add (or ""), mod
// (modify), del (delete); strict picks the strict variants.
func ParseCommand(cmd string, strict bool) (flowtable.Command, error) {
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
	return 0, errorf(ErrInvalid, "unknown flow command %q", cmd)
}

// parseMods parses a flow file read from r; errors name the flow's line.
func parseMods(b *datapath.Bridge, r io.Reader, cmd flowtable.Command) ([]*flowtable.FlowMod, error) {
	mods, err := flowtable.ParseFlowsWith(r, cmd, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		return nil, errorf(ErrInvalid, "%v", err)
	}
	return mods, nil
}

// linesReader reads flow lines as a flow file: one line each.
func linesReader(lines []string) io.Reader {
	return strings.NewReader(strings.Join(lines, "\n"))
}

// ModFlows applies flow-mods in ovs-ofctl syntax to a bridge atomically
// (add-flow(s), mod-flows, del-flows) and returns how many were applied.
// Del with no flows deletes every flow of every table.
func (s *Switch) ModFlows(bridge string, cmd flowtable.Command, lines []string) (int, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return 0, err
	}
	var mods []*flowtable.FlowMod
	if cmd == flowtable.CmdDelete && strings.TrimSpace(strings.Join(lines, "")) == "" {
		// del-flows BR: every flow of every table. (A flow file parser
		// skips blank lines, so "" must go through the one-flow parser.)
		m, err := flowtable.ParseFlowWith("", cmd, flowtable.ParseOptions{Ports: b.ResolvePort})
		if err != nil {
			return 0, errorf(ErrInvalid, "%v", err)
		}
		mods = []*flowtable.FlowMod{m}
	} else if mods, err = parseMods(b, linesReader(lines), cmd); err != nil {
		return 0, err
	}
	return s.applyMods(b, mods)
}

// ModFlowsFrom is ModFlows for a flow file of any size read from r (as
// ovs-ofctl add-flows reads one): every line is parsed before anything
// is applied, then all apply or none. A file without flows changes
// nothing, whatever cmd is.
func (s *Switch) ModFlowsFrom(bridge string, cmd flowtable.Command, r io.Reader) (int, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return 0, err
	}
	mods, err := parseMods(b, r, cmd)
	if err != nil || len(mods) == 0 {
		return 0, err
	}
	return s.applyMods(b, mods)
}

// logEachMod is how many flow-mods of one call are logged one by one (at
// debug); a larger call is logged as a count, so a million-flow file does
// not become a million log lines.
const logEachMod = 32

// applyMods applies parsed mods to b in one transaction and saves.
func (s *Switch) applyMods(b *datapath.Bridge, mods []*flowtable.FlowMod) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sameBridge(b); err != nil {
		return 0, err
	}
	changes, err := b.Flows.ApplyChanges(mods, time.Now())
	if err != nil {
		return 0, errorf(ErrRefused, "%v", err)
	}
	if len(mods) > logEachMod {
		s.log.Debug("flow-mods", zap.String("bridge", b.Name), zap.Int("count", len(mods)))
	} else {
		for _, m := range mods {
			s.log.Debug("flow-mod", zap.String("bridge", b.Name), zap.Stringer("command", m.Command),
				zap.String("flow", strings.TrimSpace(m.Flow.Format(flowtable.FormatOptions{NoStats: true, OF13: true}))))
		}
	}
	return len(mods), s.journalFlows(b.Name, changes)
}

// ReplaceFlows swaps in a whole new flow set at once (ovs-ofctl
// replace-flows) and returns the number of flows.
func (s *Switch) ReplaceFlows(bridge string, lines []string) (int, error) {
	return s.ReplaceFlowsFrom(bridge, linesReader(lines))
}

// ReplaceFlowsFrom is ReplaceFlows for a flow file of any size read from
// r: the whole file is parsed and validated first, then swapped in at
// once; a bad line anywhere refuses the file and leaves the table as it
// was.
func (s *Switch) ReplaceFlowsFrom(bridge string, r io.Reader) (int, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return 0, err
	}
	mods, err := parseMods(b, r, flowtable.CmdAdd)
	if err != nil {
		return 0, err
	}
	flows := make([]*flowtable.Flow, 0, len(mods))
	for _, m := range mods {
		if m.Command != flowtable.CmdAdd {
			return 0, errorf(ErrInvalid, "replace-flows takes flows to add, not %s", m.Command)
		}
		flows = append(flows, m.Flow)
	}
	mods = nil // only the flows are needed from here on
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sameBridge(b); err != nil {
		return 0, err
	}
	if err := b.Flows.Replace(flows, time.Now()); err != nil {
		return 0, errorf(ErrRefused, "%v", err)
	}
	s.log.Debug("flows replaced", zap.String("bridge", b.Name), zap.Int("flows", len(flows)))
	return len(flows), s.save()
}

// DumpFlows returns a bridge and its flows, filtered as ovs-ofctl
// dump-flows filters by match ("" = all): table (or all), cookie under
// its mask, out_port, and a loose match.
func (s *Switch) DumpFlows(bridge, match string) (*datapath.Bridge, []*flowtable.Flow, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return nil, nil, err
	}
	var sel *flowtable.FlowMod
	if strings.TrimSpace(match) != "" {
		if sel, err = flowtable.ParseFlowWith(match, flowtable.CmdDelete, flowtable.ParseOptions{Ports: b.ResolvePort}); err != nil {
			return nil, nil, errorf(ErrInvalid, "%v", err)
		}
	}
	return b, b.Flows.Flows(func(f *flowtable.Flow) bool { return selects(sel, f) }), nil
}

// selects applies a dump-flows filter the way OVS does.
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
	if sel.OutPort != flowtable.PortNone && !f.OutputsTo(sel.OutPort) {
		return false
	}
	return sel.Flow.Match.Covers(&f.Match)
}

// sameBridge checks, under s.mu, that b is still the bridge of its name:
// flows are parsed before the lock is taken (a large file must not stall
// other calls), and the bridge may have been deleted or re-created since.
func (s *Switch) sameBridge(b *datapath.Bridge) error {
	if s.dp.Bridge(b.Name) != b {
		return errorf(ErrConflict, "bridge %s was deleted or re-created meanwhile; try again", b.Name)
	}
	return nil
}

// PortRef finds a bridge's port by name, LOCAL or OpenFlow number.
func PortRef(b *datapath.Bridge, ref string) (*datapath.Port, error) {
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
	return nil, errorf(ErrNotFound, "bridge %s has no port %q", b.Name, ref)
}

// PacketOut injects frames as if received on a port (name, LOCAL or
// number) of a bridge.
func (s *Switch) PacketOut(bridge, inPort string, frames [][]byte) error {
	// The port is resolved under the lock, so it cannot be deleted (and
	// its device closed) between the lookup and the injection.
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.Bridge(bridge)
	if err != nil {
		return err
	}
	p, err := PortRef(b, inPort)
	if err != nil {
		return err
	}
	for _, f := range frames {
		s.w.Inject(p, f)
	}
	return nil
}

// Trace explains what the pipeline does with a frame received on inPort
// or, without a frame, with the packet a flow match describes; nothing is
// sent and no state changes.
func (s *Switch) Trace(bridge, inPort string, frame []byte, flow string) (string, error) {
	return s.TraceCT(bridge, inPort, frame, flow, nil)
}

// TraceCT is Trace with the ct_state each resumed ct() reports in turn
// (ofproto/trace --ct-next; +new+trk after the list).
func (s *Switch) TraceCT(bridge, inPort string, frame []byte, flow string, ctNext []uint64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.Bridge(bridge)
	if err != nil {
		return "", err
	}
	if len(frame) > 0 {
		p, err := PortRef(b, inPort)
		if err != nil {
			return "", err
		}
		return s.w.TraceFrameCT(p, frame, ctNext), nil
	}
	m, err := flowtable.ParseFlowWith(flow, flowtable.CmdDelete, flowtable.ParseOptions{Ports: b.ResolvePort})
	if err != nil {
		return "", errorf(ErrInvalid, "%v", err)
	}
	return s.w.TraceKeyCT(b, &m.Flow.Match.Value, ctNext), nil
}
