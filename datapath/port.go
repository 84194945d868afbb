package datapath

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gvs-project/gvs/flowtable"
)

// VLANMode is a port's VLAN mode as OVSDB's Port.vlan_mode has it. It only
// affects the NORMAL action; explicit output never changes tags.
type VLANMode uint8

const (
	VLANTrunk          VLANMode = iota // tagged frames of the trunk VLANs (all if none listed); untagged = VLAN 0
	VLANAccess                         // untagged frames only, in VLAN Tag
	VLANNativeTagged                   // trunk; untagged frames are in Tag, and go out tagged
	VLANNativeUntagged                 // trunk; untagged frames are in Tag, and Tag goes out untagged
)

// ResolveVLAN resolves a port's VLAN settings as OVSDB does: an explicit
// vlan_mode, else access when only a tag is set (no trunks), else trunk.
// tag nil means no tag. An unknown vlan_mode is an error.
func ResolveVLAN(vlanMode string, tag *uint16, hasTrunks bool) (mode VLANMode, t uint16, hasTag bool, err error) {
	if tag != nil {
		t, hasTag = *tag, true
	}
	switch {
	case vlanMode != "":
		if mode, err = ParseVLANMode(vlanMode); err != nil {
			return 0, 0, false, err
		}
	case hasTag && !hasTrunks:
		mode = VLANAccess
	default:
		mode = VLANTrunk
	}
	return mode, t, hasTag, nil
}

// ParseVLANMode reads an OVSDB vlan_mode value.
func ParseVLANMode(s string) (VLANMode, error) {
	switch s {
	case "trunk":
		return VLANTrunk, nil
	case "access":
		return VLANAccess, nil
	case "native-tagged":
		return VLANNativeTagged, nil
	case "native-untagged":
		return VLANNativeUntagged, nil
	}
	return 0, fmt.Errorf("unknown vlan_mode %q (want access, trunk, native-tagged or native-untagged)", s)
}

func (m VLANMode) String() string {
	return [...]string{"trunk", "access", "native-tagged", "native-untagged"}[m]
}

// Device is the I/O side of a port: where transmitted frames go. It is
// defined here, where it is consumed; port types (pcap files, TAP, AF_XDP)
// implement it.
type Device interface {
	// Send transmits one frame. The frame is only valid during the call: a
	// device that queues it must copy it. A non-nil error counts as a
	// transmit drop.
	Send(frame []byte) error
	// Close releases the device.
	Close() error
}

// PortStats are a port's counters, updated atomically by the workers.
type PortStats struct {
	RxPackets, RxBytes, RxDropped atomic.Uint64
	TxPackets, TxBytes, TxDropped atomic.Uint64
}

// Port is one port of a bridge. Its configuration fields are fixed while the
// port is attached, except the VLAN settings (SetVLAN); changing options
// replaces the Port. Stats and Up change.
type Port struct {
	Name   string
	OFPort flowtable.Port
	Type   string // pcap, patch, internal, tap, afxdp, system

	// The VLAN configuration the port is attached with (SetVLAN changes
	// it later; VLAN reports the current one).
	VLANMode VLANMode
	Tag      uint16     // access or native VLAN; meaningful when HasTag
	HasTag   bool       // a tag is configured
	trunks   [64]uint64 // bitmap of allowed VLANs; all zero = all VLANs
	vlan     atomic.Pointer[vlanConfig]
	NoFlood  bool

	peer     atomic.Pointer[Port] // other end of a patch port, once both exist
	peerName string
	Bridge   *Bridge
	Dev      Device
	MTU      int // 0 = no limit

	Up    atomic.Bool
	Stats PortStats

	tapMu sync.Mutex
	taps  atomic.Pointer[[]*Tap]
}

// Peer returns the other end of a patch port, or nil while it is missing.
func (p *Port) Peer() *Port { return p.peer.Load() }

// SetTrunks sets the trunk VLANs of a port that is not attached yet; an
// empty list means all VLANs.
func (p *Port) SetTrunks(vlans []uint16) { p.trunks = trunkBitmap(vlans) }

func trunkBitmap(vlans []uint16) (b [64]uint64) {
	for _, v := range vlans {
		b[v/64&63] |= 1 << (v % 64)
	}
	return b
}

// vlanConfig is a port's VLAN configuration as NORMAL reads it: published
// whole, so it can change while the port forwards.
type vlanConfig struct {
	mode   VLANMode
	tag    uint16
	hasTag bool
	trunks [64]uint64 // bitmap of allowed VLANs; all zero = all VLANs
}

// publishVLAN makes the VLANMode, Tag, HasTag and trunk fields the live
// configuration; attaching the port does it.
func (p *Port) publishVLAN() {
	p.vlan.Store(&vlanConfig{mode: p.VLANMode, tag: p.Tag, hasTag: p.HasTag, trunks: p.trunks})
}

func (p *Port) vlanNow() *vlanConfig {
	if c := p.vlan.Load(); c != nil {
		return c
	}
	p.publishVLAN() // a port used before it was attached (tests)
	return p.vlan.Load()
}

// SetVLAN changes the VLAN configuration of an attached port in place, as
// ovs-vsctl set port does: the device stays open and NORMAL's next decision
// uses the new settings. What NORMAL learned on the port is forgotten.
func (p *Port) SetVLAN(mode VLANMode, tag uint16, hasTag bool, trunks []uint16) {
	p.vlan.Store(&vlanConfig{mode: mode, tag: tag, hasTag: hasTag, trunks: trunkBitmap(trunks)})
	if p.Bridge != nil {
		p.Bridge.cfgGen.Add(1)
		p.Bridge.FDB.FlushPort(uint32(p.OFPort))
	}
}

// VLAN returns the port's current VLAN configuration (trunks nil = all).
func (p *Port) VLAN() (mode VLANMode, tag uint16, hasTag bool, trunks []uint16) {
	c := p.vlanNow()
	for v := 0; v < 4096; v++ {
		if c.trunks[v/64]&(1<<(v%64)) != 0 {
			trunks = append(trunks, uint16(v))
		}
	}
	return c.mode, c.tag, c.hasTag, trunks
}

// Trunks returns the configured trunk VLANs (nil = all).
func (p *Port) Trunks() []uint16 {
	_, _, _, t := p.VLAN()
	return t
}

func (c *vlanConfig) trunksAll() bool { return c.trunks == [64]uint64{} }

// includesVLAN reports whether NORMAL may send frames of vlan to this port
// (OVS: the port's VLAN set).
func (p *Port) includesVLAN(vlan uint16) bool { return p.vlanNow().includes(vlan) }

func (c *vlanConfig) includes(vlan uint16) bool {
	switch c.mode {
	case VLANAccess:
		return vlan == c.tag
	case VLANNativeTagged, VLANNativeUntagged:
		if vlan == c.tag {
			return true
		}
		if vlan == 0 {
			return false // untagged frames belong to the native VLAN
		}
	}
	return c.trunksAll() || c.trunks[vlan/64&63]&(1<<(vlan%64)) != 0
}

// inputVLAN maps the VID a frame arrived with (0 = untagged or priority
// tagged) to the NORMAL VLAN, or false if the port does not accept it.
func (p *Port) inputVLAN(vid uint16) (uint16, bool) {
	c := p.vlanNow()
	switch c.mode {
	case VLANAccess:
		if vid != 0 {
			return 0, false
		}
		return c.tag, true
	case VLANNativeTagged, VLANNativeUntagged:
		if vid == 0 {
			return c.tag, true
		}
	}
	if vid == 0 && !c.trunksAll() && c.trunks[0]&1 == 0 {
		// Untagged frames are VLAN 0 on a trunk, which must be listed.
		return 0, false
	}
	return vid, c.includes(vid)
}

// outputVID is the VID NORMAL tags frames of vlan with on this port; 0 =
// untagged.
func (p *Port) outputVID(vlan uint16) uint16 {
	c := p.vlanNow()
	switch c.mode {
	case VLANAccess:
		return 0
	case VLANNativeUntagged:
		if vlan == c.tag {
			return 0
		}
	}
	return vlan
}
