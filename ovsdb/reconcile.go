package ovsdb

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/vswitch"
)

// Switch is what the reconciler needs of the control core
// (*vswitch.Switch implements it).
type Switch interface {
	Bridges() []vswitch.BridgeInfo
	AddBridge(name, failMode string, mayExist bool) error
	DelBridge(name string, ifExists bool) error
	AddPort(bridge string, pc config.Port, mayExist bool) (uint16, error)
	DelPort(bridge, name string, ifExists bool) error
	SetPort(name string, c vswitch.PortChange) error
	// SetBridge gives a bridge rec's fail mode and record columns.
	SetBridge(rec vswitch.BridgeRecord) error
}

// LocalOFPort is the OpenFlow number of a bridge's LOCAL port, which
// Open vSwitch shows as the bridge's internal interface of its name.
const LocalOFPort = 0xfffe

// wantBridge is a bridge as the database describes it.
type wantBridge struct {
	Name        string
	FailMode    string
	ExternalIDs map[string]string
	OtherConfig map[string]string
	Ports       []wantPort
}

// wantPort is a port as the database describes it: its configuration, or
// why it cannot be built (Err). Local marks the bridge's own interface.
type wantPort struct {
	IfaceUUID string
	Config    config.Port
	Local     bool
	Err       error
	// MTU is the Interface's mtu_request (0: none), applied to the port's
	// host interface if it has one.
	MTU int
}

// result is what became of one Interface row.
type result struct {
	Bridge string
	OFPort int    // -1: none (Open vSwitch writes -1 for a failed port)
	Err    string // "" if the port works
	Local  bool
}

// Reconciler applies the database's bridges and ports to a Switch. It
// remembers the configuration it applied to each port so that it changes
// only ports whose rows changed. Not safe for concurrent use.
type Reconciler struct {
	sw      Switch
	applied map[string]config.Port          // by port name
	bridges map[string]vswitch.BridgeRecord // by bridge name
}

// NewReconciler returns a reconciler driving sw.
func NewReconciler(sw Switch) *Reconciler {
	return &Reconciler{sw: sw, applied: map[string]config.Port{}, bridges: map[string]vswitch.BridgeRecord{}}
}

// Apply makes the switch's bridges and ports those of want: bridges and
// ports not wanted are deleted, missing ones added, changed ones changed
// (VLAN settings in place, anything else by re-creating the port). It
// returns what became of every wanted interface, by Interface UUID. A
// port that fails is reported with its error and affects no other.
func (r *Reconciler) Apply(want []wantBridge) map[string]result {
	res := map[string]result{}
	have := map[string]vswitch.PortInfo{}
	haveBr := map[string]bool{}
	for _, b := range r.sw.Bridges() {
		haveBr[b.Name] = true
		for _, p := range b.Ports {
			have[p.Name] = p
		}
	}
	wantBr := map[string]bool{}
	wantPt := map[string]wantPort{}
	wantOn := map[string]string{}
	for _, b := range want {
		wantBr[b.Name] = true
		for _, p := range b.Ports {
			if !p.Local && p.Err == nil {
				wantPt[p.Config.Name] = p
				wantOn[p.Config.Name] = b.Name
			}
		}
	}
	// Deletions first: a port moving bridges, or a name going from port
	// to bridge, needs its old place free.
	for name := range haveBr {
		if !wantBr[name] {
			r.sw.DelBridge(name, true)
			delete(r.bridges, name)
			for pn, p := range have {
				if p.Bridge == name {
					delete(have, pn)
					delete(r.applied, pn)
				}
			}
		}
	}
	for name, p := range have {
		w, ok := wantPt[name]
		if ok && wantOn[name] == p.Bridge && !r.recreate(p, w.Config) {
			continue
		}
		r.sw.DelPort(p.Bridge, name, true)
		delete(have, name)
		delete(r.applied, name)
	}
	for _, b := range want {
		brErr := r.applyBridge(b, haveBr[b.Name])
		for _, p := range b.Ports {
			res[p.IfaceUUID] = r.applyPort(b.Name, brErr, p, have)
			if rs := res[p.IfaceUUID]; rs.Err == "" && p.MTU > 0 {
				if err := setHostMTU(p.Config.Name, p.Config.Type, p.MTU); err != nil {
					rs.Err = err.Error()
					res[p.IfaceUUID] = rs
				}
			}
		}
	}
	return res
}

// applyBridge adds bridge b if the switch does not have it (have) and
// gives it b's fail mode and record columns if they changed.
func (r *Reconciler) applyBridge(b wantBridge, have bool) error {
	rec := vswitch.BridgeRecord{Name: b.Name, FailMode: b.FailMode, ExternalIDs: b.ExternalIDs, OtherConfig: b.OtherConfig}
	old, ok := r.bridges[b.Name]
	if !have {
		if err := r.sw.AddBridge(b.Name, b.FailMode, true); err != nil {
			delete(r.bridges, b.Name)
			return err
		}
		old, ok = vswitch.BridgeRecord{Name: b.Name, FailMode: b.FailMode}, true
	}
	if !ok || old.FailMode != rec.FailMode || !maps.Equal(old.ExternalIDs, rec.ExternalIDs) || !maps.Equal(old.OtherConfig, rec.OtherConfig) {
		if err := r.sw.SetBridge(rec); err != nil {
			return fmt.Errorf("bridge %s: %w", b.Name, err)
		}
	}
	r.bridges[b.Name] = rec
	return nil
}

// recreate reports whether a port must be deleted and added again to get
// configuration pc: its type, options or requested number changed, or a
// VLAN change SetPort cannot express. A port the reconciler did not make
// is adopted (remembered as applied) if it need not be re-created.
func (r *Reconciler) recreate(have vswitch.PortInfo, pc config.Port) bool {
	old, ok := r.applied[pc.Name]
	if !ok {
		// Made before this session (the saved state, gvsctl): adopt it
		// if its device is the one wanted, so a VM's tap survives
		// gvsd's restart; its VLAN settings are then corrected in place.
		if have.Kind != pc.Type || !maps.Equal(have.Options, pc.Options) {
			return true
		}
		old = config.Port{Name: have.Name, Type: have.Kind, Options: have.Options, Tag: have.Tag, Trunks: have.Trunks, VLANMode: have.VLANMode}
		r.applied[pc.Name] = old
	}
	if pc.OFPort != 0 && pc.OFPort != have.OFPort {
		return true
	}
	if old.Type != pc.Type || !maps.Equal(old.Options, pc.Options) {
		return true
	}
	return old.VLANMode != "" && pc.VLANMode == ""
}

// applyPort adds or updates one port of bridge (brErr: why the bridge
// could not be added).
func (r *Reconciler) applyPort(bridge string, brErr error, p wantPort, have map[string]vswitch.PortInfo) result {
	fail := func(err error) result { return result{Bridge: bridge, OFPort: -1, Err: err.Error()} }
	switch {
	case p.Local:
		if brErr != nil {
			return fail(brErr)
		}
		return result{Bridge: bridge, OFPort: LocalOFPort, Local: true}
	case p.Err != nil:
		return fail(p.Err)
	case brErr != nil:
		return fail(brErr)
	}
	pc := p.Config
	if cur, ok := have[pc.Name]; ok {
		old := r.applied[pc.Name]
		if c, changed := vlanChange(old, pc); changed {
			if err := r.sw.SetPort(pc.Name, c); err != nil {
				return result{Bridge: bridge, OFPort: int(cur.OFPort), Err: err.Error()}
			}
		}
		r.applied[pc.Name] = pc
		return result{Bridge: bridge, OFPort: int(cur.OFPort), Err: cur.Error}
	}
	n, err := r.sw.AddPort(bridge, pc, false)
	if err != nil {
		return fail(fmt.Errorf("could not add port %s: %w", pc.Name, err))
	}
	r.applied[pc.Name] = pc
	return result{Bridge: bridge, OFPort: int(n)}
}

// vlanChange is the SetPort change from old to pc's VLAN settings and
// whether there is one. (Columns SetPort does not change, external_ids
// and the like, are kept as first given.)
func vlanChange(old, pc config.Port) (vswitch.PortChange, bool) {
	var c vswitch.PortChange
	changed := false
	switch {
	case pc.Tag == nil && old.Tag != nil:
		c.ClearTag, changed = true, true
	case pc.Tag != nil && (old.Tag == nil || *old.Tag != *pc.Tag):
		t := *pc.Tag
		c.Tag, changed = &t, true
	}
	if !slices.Equal(old.Trunks, pc.Trunks) {
		c.SetTrunks, c.Trunks, changed = true, slices.Clone(pc.Trunks), true
	}
	if pc.VLANMode != old.VLANMode {
		c.VLANMode, changed = pc.VLANMode, true
	}
	return c, changed
}
