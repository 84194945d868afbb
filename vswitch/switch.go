package vswitch

import (
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"
	"syscall"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// Switch is the control core over one datapath: every change of bridges,
// ports and flows goes through it, serialised, and is persisted to the
// state store after it is applied. Methods are safe for concurrent use.
type Switch struct {
	dp    *datapath.Datapath
	log   *zap.Logger
	open  DeviceOpener
	state *StateStore

	mu    sync.Mutex             // serialises changes and the control worker
	w     *datapath.Worker       // runs packet-out and trace
	ports map[string]config.Port // configuration of every port, by name
	// pcapDir confines callers' pcap files (ConfinePcap); "" = none.
	pcapDir string
	brRecs  map[string]bridgeRecord // bridges' external_ids, other_config (records.go)
	root    RootRecord              // the Open_vSwitch record (records.go)

	ev events // subscribers to asynchronous events
}

// New returns the core for dp. open makes devices for new ports; state
// (may be nil) persists every change; log may be nil.
func New(dp *datapath.Datapath, open DeviceOpener, state *StateStore, log *zap.Logger) *Switch {
	if log == nil {
		log = zap.NewNop()
	}
	return &Switch{dp: dp, log: log, open: open, state: state, w: dp.NewWorker(), ports: map[string]config.Port{}, brRecs: map[string]bridgeRecord{}}
}

// Datapath returns the engine the core drives (for read-only views such
// as metrics).
func (s *Switch) Datapath() *datapath.Datapath { return s.dp }

// RememberPort records the configuration a port was built from (ports
// created from the configuration file or the state directory).
func (s *Switch) RememberPort(pc config.Port) {
	s.mu.Lock()
	s.ports[pc.Name] = pc
	s.mu.Unlock()
}

// Bridge returns the bridge of that name, or an ErrNotFound error.
func (s *Switch) Bridge(name string) (*datapath.Bridge, error) {
	b := s.dp.Bridge(name)
	if b == nil {
		return nil, errorf(ErrNotFound, "no bridge named %s", name)
	}
	return b, nil
}

// AddBridge creates a bridge (ovs-vsctl add-br). With mayExist an existing
// bridge of that name is no error.
func (s *Switch) AddBridge(name, failMode string, mayExist bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	added, err := s.addBridgeLocked(name, failMode, mayExist)
	if err != nil || !added {
		return err
	}
	return s.save()
}

// addBridgeLocked is AddBridge without the lock and the save; it reports
// whether it added the bridge. Callers hold s.mu.
func (s *Switch) addBridgeLocked(name, failMode string, mayExist bool) (bool, error) {
	mode, err := datapath.ParseFailMode(failMode)
	if err != nil {
		return false, errorf(ErrInvalid, "%v", err)
	}
	if err := ValidName("bridge", name); err != nil {
		return false, err
	}
	if s.dp.Bridge(name) != nil && mayExist {
		return false, nil
	}
	if p := s.dp.PortByName(name); p != nil {
		return false, errorf(ErrExists, "cannot create a bridge named %s because a port named %s already exists on bridge %s", name, name, p.Bridge.Name)
	}
	if _, err := s.dp.AddBridge(name, mode); err != nil {
		return false, errorf(ErrExists, "%v", err)
	}
	s.brRecs[name] = bridgeRecord{FailModeSet: failMode != ""}
	s.log.Debug("bridge added", zap.String("bridge", name), zap.String("fail_mode", mode.String()))
	return true, nil
}

// DelBridge removes a bridge and its ports (ovs-vsctl del-br). With
// ifExists a missing bridge is no error.
func (s *Switch) DelBridge(name string, ifExists bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.dp.Bridge(name)
	if b == nil {
		if ifExists {
			return nil
		}
		return errorf(ErrNotFound, "no bridge named %s", name)
	}
	if err := s.delBridgeLocked(b); err != nil {
		return err
	}
	return s.save()
}

// delBridgeLocked removes bridge b, its ports and its record. Callers
// hold s.mu.
func (s *Switch) delBridgeLocked(b *datapath.Bridge) error {
	name := b.Name
	gone := s.portList(b)
	for _, p := range b.Ports() {
		delete(s.ports, p.Name)
	}
	if err := s.dp.DelBridge(name); err != nil {
		return errorf(ErrNotFound, "%v", err)
	}
	delete(s.brRecs, name)
	for _, pi := range gone {
		s.portStatus("delete", pi)
	}
	s.log.Debug("bridge deleted", zap.String("bridge", name))
	return nil
}

// BridgeInfo describes a bridge and its ports.
type BridgeInfo struct {
	Name     string
	FailMode string
	Ports    []PortInfo
}

// PortInfo describes a port (not the bridge's LOCAL port).
type PortInfo struct {
	Bridge   string
	Name     string
	OFPort   uint16
	Kind     config.PortKind
	VLANMode string
	Tag      *uint16 // nil: none
	Trunks   []uint16
	Options  map[string]string // as configured; nil if not known
	LinkUp   bool              // the port forwards: its device is open and its link running
	Error    string            // why its device cannot be used ("" if it can): Open vSwitch's Interface error
}

// Bridges describes every bridge.
func (s *Switch) Bridges() []BridgeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []BridgeInfo
	for _, b := range s.dp.Bridges() {
		out = append(out, BridgeInfo{Name: b.Name, FailMode: b.FailMode.String(), Ports: s.portList(b)})
	}
	return out
}

// Ports describes a bridge's ports, by OpenFlow number.
func (s *Switch) Ports(bridge string) ([]PortInfo, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.portList(b), nil
}

func (s *Switch) portList(b *datapath.Bridge) []PortInfo {
	var out []PortInfo
	for _, p := range b.Ports() {
		if p == b.Local {
			continue
		}
		mode, tag, hasTag, trunks := p.VLAN()
		pi := PortInfo{Bridge: b.Name, Name: p.Name, OFPort: uint16(p.OFPort), Kind: config.PortKind(p.Type), VLANMode: mode.String()}
		if hasTag {
			pi.Tag = &tag
		}
		pi.Trunks = trunks
		pi.LinkUp, pi.Error = p.Up.Load(), portFault(p)
		if pc, ok := s.ports[p.Name]; ok {
			pi.Options = pc.Options
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OFPort < out[j].OFPort })
	return out
}

// AddPort builds and attaches a port (ovs-vsctl add-port) and returns its
// OpenFlow number. With mayExist a port of that name on that bridge with
// the same settings is no error; on another bridge, or with other
// settings, it is an ErrExists error (change settings with SetPort). A
// refused port is an ErrRefused error (a missing bridge included) and
// leaves nothing behind: not attached, not remembered, not saved; the
// same call with a good configuration then succeeds. A system or afxdp
// port whose interface is missing is added, down (PortFault says why),
// as Open vSwitch adds it.
func (s *Switch) AddPort(bridge string, pc config.Port, mayExist bool) (uint16, error) {
	if err := checkPort(pc); err != nil {
		return 0, err
	}
	rx, err := s.readRx(pc) // before locking: no file holds the control API
	if err != nil {
		return 0, errorf(ErrRefused, "%v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, added, err := s.addPortLocked(bridge, pc, mayExist)
	if err != nil || !added {
		return n, err
	}
	if err := s.injectRx(pc.Name, rx); err != nil {
		return 0, errorf(ErrRefused, "%v", err)
	}
	return n, s.save()
}

// checkPort validates a port to add: its name (ValidName) and settings.
func checkPort(pc config.Port) error {
	if err := ValidName("port", pc.Name); err != nil {
		return err
	}
	if err := config.ValidatePort(pc); err != nil {
		return errorf(ErrInvalid, "%v", err)
	}
	return nil
}

// addPortLocked is AddPort after validation, without rx frames and the
// save; it reports whether it added the port. Callers hold s.mu.
func (s *Switch) addPortLocked(bridge string, pc config.Port, mayExist bool) (uint16, bool, error) {
	if s.dp.Bridge(pc.Name) != nil {
		return 0, false, errorf(ErrExists, "cannot create a port named %s because a bridge named %s already exists", pc.Name, pc.Name)
	}
	if p := s.dp.PortByName(pc.Name); p != nil {
		if !mayExist {
			return 0, false, errorf(ErrExists, "cannot create a port named %s because a port named %s already exists on bridge %s", pc.Name, pc.Name, p.Bridge.Name)
		}
		if err := s.sameAsExisting(bridge, p, pc); err != nil {
			return 0, false, err
		}
		return uint16(p.OFPort), false, nil
	}
	if s.dp.Bridge(bridge) == nil {
		return 0, false, errorf(ErrNotFound, "no bridge named %s", bridge)
	}
	if err := s.addPortWith(bridge, pc, s.strictOpen); err != nil {
		if errors.Is(err, syscall.EBUSY) {
			return 0, false, errorf(ErrExists, "cannot create a port named %s because its %s device %s is in use by another process (%v)", pc.Name, pc.Type, pc.Name, err)
		}
		return 0, false, errorf(ErrRefused, "%v", err)
	}
	p := s.dp.PortByName(pc.Name)
	if pi, ok := s.portInfo(pc.Name); ok {
		s.portStatus("add", pi)
	}
	s.log.Debug("port added", zap.String("bridge", bridge), zap.String("port", pc.Name), zap.Uint16("ofport", uint16(p.OFPort)), zap.String("type", string(pc.Type)))
	return uint16(p.OFPort), true, nil
}

// addPort builds, opens and attaches a port, keeping it if its device
// cannot be opened (start-up). Callers hold s.mu.
func (s *Switch) addPort(bridge string, pc config.Port) error {
	return s.addPortWith(bridge, pc, s.open)
}

// addPortWith builds a port, opens its device with open and attaches it.
// On error nothing is left. Callers hold s.mu.
func (s *Switch) addPortWith(bridge string, pc config.Port, open DeviceOpener) error {
	if s.dp.Bridge(bridge) == nil {
		return errorf(ErrNotFound, "no bridge named %s", bridge)
	}
	p, err := AttachPort(s.dp, bridge, pc, open)
	if err != nil {
		return err
	}
	pc.OFPort = uint16(p.OFPort)
	s.ports[pc.Name] = pc
	return nil
}

// DelPort detaches a port (ovs-vsctl del-port [BRIDGE] PORT). With
// ifExists a missing port is no error; bridge, if set, must be the port's.
func (s *Switch) DelPort(bridge, name string, ifExists bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	deleted, err := s.delPortLocked(bridge, name, ifExists)
	if err != nil || !deleted {
		return err
	}
	return s.save()
}

// delPortLocked is DelPort without the save; it reports whether it
// deleted the port. Callers hold s.mu.
func (s *Switch) delPortLocked(bridge, name string, ifExists bool) (bool, error) {
	p := s.dp.PortByName(name)
	if p == nil && ifExists {
		return false, nil
	}
	if p == nil {
		return false, errorf(ErrNotFound, "no port named %s", name)
	}
	if bridge != "" && p.Bridge.Name != bridge {
		return false, errorf(ErrNotFound, "bridge %s does not have a port %s (it is on %s)", bridge, name, p.Bridge.Name)
	}
	gone, known := s.portInfo(name)
	if err := s.dp.DelPort(name); err != nil {
		return false, errorf(ErrNotFound, "%v", err)
	}
	delete(s.ports, name)
	if known {
		s.portStatus("delete", gone)
	}
	s.log.Debug("port deleted", zap.String("port", name))
	return true, nil
}

// PortChange is a change of a port's settings (ovs-vsctl set Port).
type PortChange struct {
	ClearTag  bool
	Tag       *uint16 // set the tag (unless ClearTag)
	SetTrunks bool    // replace the trunks by Trunks
	Trunks    []uint16
	VLANMode  string            // "" keeps it
	Options   map[string]string // merged into the options
}

// SetPort changes a port's VLAN settings or options. VLAN settings change
// in place; a change of options re-creates the port's device. Its
// OpenFlow number stays.
func (s *Switch) SetPort(name string, c PortChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pc, ok := s.ports[name]
	if s.dp.PortByName(name) == nil || !ok {
		return errorf(ErrNotFound, "no port named %s", name)
	}
	// pc shares its map and slice with the remembered configuration: copy
	// them, or a refused change would still be half applied (and saved).
	pc.Options = maps.Clone(pc.Options)
	pc.Trunks = slices.Clone(pc.Trunks)
	c.apply(&pc)
	if err := s.reconfigure(name, pc); err != nil {
		return err
	}
	return s.save()
}

// reconfigure gives port name the configuration pc (validated here). VLAN
// settings and the record columns change in place; a change of type or
// options re-creates the port's device; on failure the port is as it was.
// Its OpenFlow number stays. Callers hold s.mu.
func (s *Switch) reconfigure(name string, pc config.Port) error {
	p := s.dp.PortByName(name)
	old, ok := s.ports[name]
	if p == nil || !ok {
		return errorf(ErrNotFound, "no port named %s", name)
	}
	bridge := p.Bridge.Name
	if err := config.ValidatePort(pc); err != nil {
		return errorf(ErrInvalid, "%v", err)
	}
	pc.OFPort = uint16(p.OFPort)
	if len(portDiff(old, pc)) == 0 {
		// Only record columns (external_ids, other_config) change: the
		// datapath has nothing to do, no port-status to send.
		s.ports[name] = pc
		return nil
	}
	if pc.Type == old.Type && maps.Equal(pc.Options, old.Options) {
		// Only VLAN settings change (Neutron tags a port right after
		// adding it): keep the device, which may be a VM's tap.
		mode, tag, hasTag, err := VLANOf(pc)
		if err != nil {
			return errorf(ErrInvalid, "%v", err)
		}
		p.SetVLAN(mode, tag, hasTag, pc.Trunks)
		s.ports[name] = pc
		s.modified(name)
		s.log.Debug("port VLAN changed", zap.String("port", name))
		return nil
	}
	if err := s.dp.DelPort(name); err != nil {
		return err
	}
	if err := s.addPortWith(bridge, pc, s.strictOpen); err != nil {
		// Put the port back as it was rather than lose it.
		if rerr := s.addPort(bridge, old); rerr != nil {
			delete(s.ports, name)
			s.log.Error("port lost: cannot restore it after a failed change", zap.String("port", name), zap.Error(rerr))
			s.save()
		}
		return errorf(ErrRefused, "%v", err)
	}
	s.modified(name)
	s.log.Debug("port changed", zap.String("port", name))
	return nil
}

// modified publishes port-status modify for a port. Callers hold s.mu.
func (s *Switch) modified(name string) {
	if pi, ok := s.portInfo(name); ok {
		s.portStatus("modify", pi)
	}
}

func (c PortChange) apply(pc *config.Port) {
	switch {
	case c.ClearTag:
		pc.Tag = nil
	case c.Tag != nil:
		t := *c.Tag
		pc.Tag = &t
	}
	if c.SetTrunks {
		pc.Trunks = slices.Clone(c.Trunks)
	}
	if c.VLANMode != "" {
		pc.VLANMode = c.VLANMode
	}
	for k, v := range c.Options {
		if pc.Options == nil {
			pc.Options = map[string]string{}
		}
		pc.Options[k] = v
	}
}

// FlushFDB empties the MAC learning table of one bridge, or of all when
// bridge is "" (ovs-appctl fdb/flush).
func (s *Switch) FlushFDB(bridge string) error {
	for _, b := range s.dp.Bridges() {
		if bridge == "" || b.Name == bridge {
			b.FDB.Flush()
		}
	}
	if bridge != "" && s.dp.Bridge(bridge) == nil {
		return errorf(ErrNotFound, "no bridge named %s", bridge)
	}
	return nil
}
