package datapath

import (
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// FragMode is a bridge's IP fragment handling, Open vSwitch's
// ovs-ofctl set-frags: what the pipeline does with a packet whose ip_frag
// says it is a fragment.
type FragMode uint32

const (
	// FragNormal (the default) passes fragments through the tables with
	// their transport ports hidden: tp_src and tp_dst read as 0, even for
	// a first fragment that carries them, so port-based flows do not see
	// half of a datagram.
	FragNormal FragMode = iota
	// FragDrop drops every fragment before the first lookup.
	FragDrop
	// FragNxMatch passes fragments with whatever ports the first fragment
	// carries; flows tell fragments apart with ip_frag.
	FragNxMatch
)

var fragNames = [...]string{"normal", "drop", "nx-match"}

// String returns the mode as ovs-ofctl get-frags prints it.
func (m FragMode) String() string {
	if int(m) < len(fragNames) {
		return fragNames[m]
	}
	return "unknown"
}

// ParseFragMode parses a mode as ovs-ofctl set-frags takes it. Open
// vSwitch supports no "reassemble" mode, and neither does gvs.
func ParseFragMode(s string) (FragMode, error) {
	for i, n := range fragNames {
		if s == n {
			return FragMode(i), nil
		}
	}
	if s == "reassemble" {
		return 0, fmt.Errorf("fragment handling mode %q is not supported (normal, drop or nx-match)", s)
	}
	return 0, fmt.Errorf("unknown fragment handling mode %q (normal, drop or nx-match)", s)
}

// SetFragMode sets the bridge's fragment handling; packets in flight see
// the old or the new mode.
func (b *Bridge) SetFragMode(m FragMode) {
	b.frags.Store(uint32(m))
	b.cfgGen.Add(1)
}

// FragMode returns the bridge's fragment handling.
func (b *Bridge) FragMode() FragMode { return FragMode(b.frags.Load()) }

// fragments applies the bridge's fragment handling to an IP fragment
// before the first lookup of a pass, as ofproto-dpif's xlate does. Normal
// mode clears the ports in the key and in the base the frame is compared
// with, so nothing is written back to the frame. It reports false when
// the packet is dropped.
func (x *xlate) fragments() bool {
	if et := x.key.Get(fEthType).Lo; et != ethTypeIPv4 && et != ethTypeIPv6 {
		return true
	}
	x.wc.Set(fIPFrag, fIPFrag.FullMask())
	if x.key.Get(fIPFrag).Lo&ipFragAny == 0 {
		return true
	}
	switch x.bridge.FragMode() {
	case FragNormal:
		for _, k := range [2]*flowtable.Key{&x.key, &x.base} {
			k.Set(fTPSrc, u64(0))
			k.Set(fTPDst, u64(0))
		}
	case FragDrop:
		x.trace.note(x.depth, `Packets are IP fragments and the fragment handling mode is "drop".`)
		x.drop = DropFragment
		return false
	}
	return true
}
