package vswitch

import (
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// State is what gvsd persists: every bridge with its ports and flows (in
// ovs-ofctl syntax, OpenFlow 1.3 spelling so goto_table survives).
type State struct {
	Bridges []StateBridge `json:"bridges"`
	// JournalSeq is the last flow journal record the state includes;
	// Journal the records after it, read with the state and replayed by
	// Restore.
	JournalSeq uint64          `json:"journal_seq,omitempty"`
	Journal    []JournalRecord `json:"-"`
	// Root is the Open_vSwitch record's columns; nil = empty.
	Root *RootRecord `json:"open_vswitch,omitempty"`
}

// StateBridge is one persisted bridge.
type StateBridge struct {
	Name     string `json:"name"`
	FailMode string `json:"fail_mode"`
	// The MAC learning table's limits (mac_table_size, mac_aging_time of
	// the configuration); 0 = the default. Ageing in Go duration syntax.
	MACTableSize int    `json:"mac_table_size,omitempty"`
	MACAgingTime string `json:"mac_aging_time,omitempty"`
	// Frags is the fragment handling mode (ovs-ofctl set-frags); "" =
	// normal.
	Frags string `json:"frags,omitempty"`
	// FlowTables are the tables' limits (Flow_Table).
	FlowTables []config.FlowTable `json:"flow_tables,omitempty"`
	Ports      []config.Port      `json:"ports"`
	Flows      []string           `json:"flows"`

	// ExternalIDs and OtherConfig are the Bridge record's columns;
	// FailModeSet says fail_mode was given (secure always is).
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
	OtherConfig map[string]string `json:"other_config,omitempty"`
	FailModeSet bool              `json:"fail_mode_set,omitempty"`
}

// snapshot captures the current state. Callers hold s.mu.
func (s *Switch) snapshot() *State {
	st := &State{}
	if len(s.root.ExternalIDs)+len(s.root.OtherConfig) > 0 {
		root := s.root
		st.Root = &root
	}
	for _, b := range s.dp.Bridges() {
		sb := StateBridge{Name: b.Name, FailMode: b.FailMode.String(), Ports: []config.Port{}, Flows: []string{}}
		size, aging := b.FDB.Limits()
		sb.MACTableSize, sb.MACAgingTime = size, aging.String()
		if m := b.FragMode(); m != datapath.FragNormal {
			sb.Frags = m.String()
		}
		sb.FlowTables = tableLimits(b)
		sb.ExternalIDs, sb.OtherConfig = s.brRecs[b.Name].ExternalIDs, s.brRecs[b.Name].OtherConfig
		sb.FailModeSet = s.failMode(b) != ""
		for _, p := range b.Ports() {
			if pc, ok := s.ports[p.Name]; ok {
				pc.OFPort = uint16(p.OFPort)
				sb.Ports = append(sb.Ports, pc)
			}
		}
		for _, f := range b.Flows.Flows(nil) {
			sb.Flows = append(sb.Flows, stateFlow(f))
		}
		st.Bridges = append(st.Bridges, sb)
	}
	return st
}

// stateFlow is a flow as the state file and its journal keep it.
func stateFlow(f *flowtable.Flow) string {
	return strings.TrimSpace(f.Format(flowtable.FormatOptions{NoStats: true, Exact: true}))
}

// Restore rebuilds bridges, ports and flows from a saved state, replacing
// any bridge of the same name.
func (s *Switch) Restore(st *State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Root != nil {
		s.root = *st.Root
		s.applyRoot()
	}
	return s.restore(st)
}

// restore is Restore without the lock. Callers hold s.mu.
func (s *Switch) restore(st *State) error {
	for _, sb := range st.Bridges {
		mode, err := datapath.ParseFailMode(sb.FailMode)
		if err != nil {
			return fmt.Errorf("restore bridge %s: %w", sb.Name, err)
		}
		if s.dp.Bridge(sb.Name) != nil {
			s.dp.DelBridge(sb.Name)
		}
		frags := datapath.FragNormal
		if sb.Frags != "" {
			if frags, err = datapath.ParseFragMode(sb.Frags); err != nil {
				return fmt.Errorf("restore bridge %s: %w", sb.Name, err)
			}
		}
		var aging time.Duration
		if sb.MACAgingTime != "" {
			if aging, err = time.ParseDuration(sb.MACAgingTime); err != nil {
				return fmt.Errorf("restore bridge %s: mac_aging_time: %w", sb.Name, err)
			}
		}
		b, err := s.dp.AddBridge(sb.Name, mode)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		b.FDB.SetLimits(sb.MACTableSize, aging)
		b.SetFragMode(frags)
		setTableLimits(b, sb.FlowTables)
		s.brRecs[b.Name] = bridgeRecord{ExternalIDs: sb.ExternalIDs, OtherConfig: sb.OtherConfig, FailModeSet: sb.FailModeSet}
		for _, pc := range sb.Ports {
			if err := s.addPort(b.Name, pc); err != nil {
				return fmt.Errorf("restore bridge %s: %w", sb.Name, err)
			}
		}
		var flows []*flowtable.Flow
		for i, line := range sb.Flows {
			m, err := flowtable.ParseFlowWith(line, flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort})
			if err != nil {
				return fmt.Errorf("restore bridge %s flow %d: %w", sb.Name, i+1, err)
			}
			flows = append(flows, m.Flow)
		}
		if err := b.Flows.Replace(flows, time.Now()); err != nil {
			return fmt.Errorf("restore bridge %s flows: %w", sb.Name, err)
		}
	}
	if err := s.replayJournal(st.Journal); err != nil {
		return err
	}
	for _, sb := range st.Bridges {
		for _, pc := range sb.Ports {
			if err := s.playRx(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

// SaveState persists the current state now.
func (s *Switch) SaveState() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.save()
}

// save persists the current state; a failure is logged and returned as an
// ErrNotSaved error. Callers hold s.mu.
func (s *Switch) save() error {
	if s.state == nil {
		return nil
	}
	if err := s.state.Save(s.snapshot()); err != nil {
		s.log.Error("persist state", zap.Error(err))
		return errorf(ErrNotSaved, "change applied but not persisted: %v", err)
	}
	return nil
}
