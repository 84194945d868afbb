package vswitch

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// bridgeRecord holds the columns of a bridge's Bridge record that the
// datapath does not: kept, persisted, not interpreted.
type bridgeRecord struct {
	ExternalIDs map[string]string
	OtherConfig map[string]string
	// FailModeSet: the fail mode was given (add-br, set-fail-mode). A
	// secure bridge always shows its mode; a standalone one only if set,
	// as Open vSwitch's fail_mode is empty (standalone) until set.
	FailModeSet bool
}

// failMode is the Bridge record's fail_mode column of b: "" when unset.
// Callers hold s.mu.
func (s *Switch) failMode(b *datapath.Bridge) string {
	if b.FailMode == datapath.FailSecure || s.brRecs[b.Name].FailModeSet {
		return b.FailMode.String()
	}
	return ""
}

// RootRecord is the one record of Open vSwitch's Open_vSwitch table (the
// switch itself, record "."): the columns ovn-controller and Neutron's
// agents keep their settings in (system-id, ovn-remote, ...). Kept and
// persisted, not interpreted.
type RootRecord struct {
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
	OtherConfig map[string]string `json:"other_config,omitempty"`
}

// BridgeRecord is a bridge as Open vSwitch's Bridge table shows it.
type BridgeRecord struct {
	Name        string
	FailMode    string // secure, standalone, or "" (unset: standalone)
	ExternalIDs map[string]string
	OtherConfig map[string]string
	Ports       []string // its ports' names, sorted (not LOCAL)
}

// PortRecord is a port with its interface, as Open vSwitch's Port and
// Interface tables show them: the configuration (with the records'
// external_ids and other_config) and the state the switch reports.
type PortRecord struct {
	Bridge string
	Config config.Port // OFPort is the number in use
	LinkUp bool
	Error  string // why its device cannot be used, "" if it can
}

// maxNameLen is the longest name a bridge or port may have: an interface
// name (IFNAMSIZ less the terminating NUL), as the bridge's LOCAL port
// and system, tap and afxdp ports are interfaces of that name.
const maxNameLen = 15

// ValidName checks a bridge or port name (what says which) as Linux
// checks interface names and Open vSwitch refuses bridges: 1 to 15
// characters, no whitespace, '/' or ':', not "." or "..". An invalid name
// is an ErrInvalid error naming the rule.
func ValidName(what, name string) error {
	switch {
	case name == "":
		return errorf(ErrInvalid, "%s name must not be empty string", what)
	case len(name) > maxNameLen:
		return errorf(ErrInvalid, "invalid %s name %q: longer than %d characters (an interface name)", what, name, maxNameLen)
	case name == "." || name == "..":
		return errorf(ErrInvalid, "invalid %s name %q", what, name)
	case strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == ':' }):
		return errorf(ErrInvalid, "invalid %s name %q: no whitespace, control characters, '/' or ':' allowed", what, name)
	}
	return nil
}

// Tx is one atomic group of changes, as an ovs-vsctl transaction: Transact
// applies its changes in order and, when one fails, undoes the earlier
// ones in reverse, so that either all of them hold or none. It is valid
// only inside the function given to Transact.
type Tx struct {
	s     *Switch
	undo  []func() error // in order of the changes
	after []func()       // run once committed (rx frames of pcap ports)
	dirty bool
}

// Transact runs fn under the core's lock with a Tx. If fn returns nil the
// changes are kept and persisted once; otherwise they are undone and fn's
// error is returned. No other change runs meanwhile.
func (s *Switch) Transact(fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &Tx{s: s}
	if err := fn(tx); err != nil {
		tx.rollback()
		return err
	}
	for _, f := range tx.after {
		f()
	}
	if !tx.dirty {
		return nil
	}
	return s.save()
}

// rollback undoes the changes in reverse. A change that cannot be undone
// is logged and the state saved as it then is.
func (tx *Tx) rollback() {
	failed := false
	for i := len(tx.undo) - 1; i >= 0; i-- {
		if err := tx.undo[i](); err != nil {
			failed = true
			tx.s.log.Error("transaction rollback: cannot undo a change", zap.Error(err))
		}
	}
	if failed {
		tx.s.save()
	}
}

func (tx *Tx) changed(undo func() error) {
	tx.undo = append(tx.undo, undo)
	tx.dirty = true
}

// AddBridge adds a bridge as Switch.AddBridge does.
func (tx *Tx) AddBridge(name, failMode string, mayExist bool) error {
	added, err := tx.s.addBridgeLocked(name, failMode, mayExist)
	if err != nil || !added {
		return err
	}
	tx.changed(func() error {
		if b := tx.s.dp.Bridge(name); b != nil {
			return tx.s.delBridgeLocked(b)
		}
		return nil
	})
	return nil
}

// DelBridge deletes a bridge as Switch.DelBridge does; undone, it comes
// back with its ports, flows and records.
func (tx *Tx) DelBridge(name string, ifExists bool) error {
	b := tx.s.dp.Bridge(name)
	if b == nil {
		if ifExists {
			return nil
		}
		return errorf(ErrNotFound, "no bridge named %s", name)
	}
	var saved StateBridge
	for _, sb := range tx.s.snapshot().Bridges {
		if sb.Name == name {
			saved = sb
		}
	}
	if err := tx.s.delBridgeLocked(b); err != nil {
		return err
	}
	tx.changed(func() error { return tx.s.restoreQuiet(saved) })
	return nil
}

// restoreQuiet brings a deleted bridge back from its saved state without
// replaying its pcap ports' rx files: undoing a deletion sends no frames.
// Callers hold s.mu.
func (s *Switch) restoreQuiet(sb StateBridge) error {
	full := sb.Ports
	sb.Ports = make([]config.Port, len(full))
	for i, pc := range full {
		pc.Options = maps.Clone(pc.Options)
		delete(pc.Options, "rx")
		sb.Ports[i] = pc
	}
	err := s.restore(&State{Bridges: []StateBridge{sb}})
	for _, pc := range full {
		if _, ok := s.ports[pc.Name]; ok {
			s.ports[pc.Name] = pc
		}
	}
	return err
}

// AddPort adds a port as Switch.AddPort does; a pcap port's rx frames are
// injected once the transaction is committed. Its rx file is read under
// the lock: OpenPcapFile never blocks on one (no FIFO, no device), so a
// regular file's size bounds the time.
func (tx *Tx) AddPort(bridge string, pc config.Port, mayExist bool) error {
	if err := checkPort(pc); err != nil {
		return err
	}
	rx, err := tx.s.readRx(pc)
	if err != nil {
		return errorf(ErrRefused, "%v", err)
	}
	_, added, err := tx.s.addPortLocked(bridge, pc, mayExist)
	if err != nil || !added {
		return err
	}
	tx.changed(func() error {
		_, err := tx.s.delPortLocked("", pc.Name, true)
		return err
	})
	tx.after = append(tx.after, func() {
		if err := tx.s.injectRx(pc.Name, rx); err != nil {
			tx.s.log.Warn("inject rx frames", zap.String("port", pc.Name), zap.Error(err))
		}
	})
	return nil
}

// DelPort deletes a port as Switch.DelPort does; undone, it comes back
// with its configuration and OpenFlow number.
func (tx *Tx) DelPort(bridge, name string, ifExists bool) error {
	old, known := tx.s.ports[name]
	var home string
	if p := tx.s.dp.PortByName(name); p != nil {
		home = p.Bridge.Name
		old.OFPort = uint16(p.OFPort)
	}
	deleted, err := tx.s.delPortLocked(bridge, name, ifExists)
	if err != nil || !deleted || !known {
		return err
	}
	tx.changed(func() error { return tx.s.addPort(home, old) })
	return nil
}

// SetPort gives a port the configuration pc (all of it: VLAN settings,
// type, options and record columns); the name and OpenFlow number stay.
func (tx *Tx) SetPort(name string, pc config.Port) error {
	old, ok := tx.s.ports[name]
	if !ok {
		return errorf(ErrNotFound, "no port named %s", name)
	}
	pc.Name = name
	if err := tx.s.reconfigure(name, pc); err != nil {
		return err
	}
	tx.changed(func() error { return tx.s.reconfigure(name, old) })
	return nil
}

// SetBridge gives a bridge rec's fail mode and record columns.
func (tx *Tx) SetBridge(rec BridgeRecord) error {
	b := tx.s.dp.Bridge(rec.Name)
	if b == nil {
		return errorf(ErrNotFound, "no bridge named %s", rec.Name)
	}
	mode, err := datapath.ParseFailMode(rec.FailMode)
	if err != nil {
		return errorf(ErrInvalid, "%v", err)
	}
	oldMode := b.FailMode
	oldRec, had := tx.s.brRecs[rec.Name]
	b.FailMode = mode
	tx.s.brRecs[rec.Name] = bridgeRecord{ExternalIDs: maps.Clone(rec.ExternalIDs), OtherConfig: maps.Clone(rec.OtherConfig), FailModeSet: rec.FailMode != ""}
	tx.changed(func() error {
		b.FailMode = oldMode
		if had {
			tx.s.brRecs[rec.Name] = oldRec
		} else {
			delete(tx.s.brRecs, rec.Name)
		}
		return nil
	})
	return nil
}

// Root returns the Open_vSwitch record (a copy).
func (tx *Tx) Root() RootRecord {
	return RootRecord{ExternalIDs: maps.Clone(tx.s.root.ExternalIDs), OtherConfig: maps.Clone(tx.s.root.OtherConfig)}
}

// SetRoot replaces the Open_vSwitch record's columns.
func (tx *Tx) SetRoot(rec RootRecord) {
	old := tx.s.root
	tx.s.root = RootRecord{ExternalIDs: maps.Clone(rec.ExternalIDs), OtherConfig: maps.Clone(rec.OtherConfig)}
	tx.s.applyRoot()
	tx.changed(func() error {
		tx.s.root = old
		tx.s.applyRoot()
		return nil
	})
}

// Bridges returns every bridge's record, by name.
func (tx *Tx) Bridges() []BridgeRecord {
	var out []BridgeRecord
	for _, b := range tx.s.dp.Bridges() {
		r := tx.s.brRecs[b.Name]
		br := BridgeRecord{Name: b.Name, FailMode: tx.s.failMode(b),
			ExternalIDs: maps.Clone(r.ExternalIDs), OtherConfig: maps.Clone(r.OtherConfig)}
		for _, p := range b.Ports() {
			if p != b.Local {
				br.Ports = append(br.Ports, p.Name)
			}
		}
		sort.Strings(br.Ports)
		out = append(out, br)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Ports returns every port's record, by name. The configurations are
// copies: changing them changes nothing until given to SetPort.
func (tx *Tx) Ports() []PortRecord {
	var out []PortRecord
	for _, b := range tx.s.dp.Bridges() {
		for _, p := range b.Ports() {
			pc, ok := tx.s.ports[p.Name]
			if p == b.Local || !ok {
				continue
			}
			pc.OFPort = uint16(p.OFPort)
			out = append(out, PortRecord{Bridge: b.Name, Config: clonePort(pc), LinkUp: p.Up.Load(), Error: portFault(p)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Config.Name < out[j].Config.Name })
	return out
}

// clonePort copies a port configuration's maps and slices.
func clonePort(pc config.Port) config.Port {
	pc.Trunks = slices.Clone(pc.Trunks)
	pc.Options = maps.Clone(pc.Options)
	pc.ExternalIDs = maps.Clone(pc.ExternalIDs)
	pc.OtherConfig = maps.Clone(pc.OtherConfig)
	pc.IfaceExternalIDs = maps.Clone(pc.IfaceExternalIDs)
	pc.IfaceOtherConfig = maps.Clone(pc.IfaceOtherConfig)
	if pc.Tag != nil {
		t := *pc.Tag
		pc.Tag = &t
	}
	return pc
}

// applyRoot makes the Open_vSwitch record's other_config take effect, as
// ovs-vswitchd reads it: flow-limit bounds each worker's flow cache (the
// datapath flows); a value that is no positive number means the default.
// Callers hold s.mu.
func (s *Switch) applyRoot() {
	n, err := strconv.Atoi(s.root.OtherConfig["flow-limit"])
	if err != nil {
		n = 0
	}
	s.dp.SetFlowLimit(n)
}
