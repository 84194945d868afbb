package vswitch

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

// sameAsExisting checks an add-port --may-exist of a port that exists: it
// is a no-op only if the port is on that bridge and the request asks for
// the settings it has (an OpenFlow number of 0 asks for none). Otherwise
// it is an ErrExists error naming what differs, as ovs-vsctl refuses a
// --may-exist add-port of a port attached to another bridge. Callers hold
// s.mu.
func (s *Switch) sameAsExisting(bridge string, p *datapath.Port, want config.Port) error {
	if p.Bridge.Name != bridge {
		return errorf(ErrExists, "\"--may-exist add-port %s %s\" but %s is actually attached to bridge %s", bridge, want.Name, want.Name, p.Bridge.Name)
	}
	have, ok := s.ports[p.Name]
	if !ok {
		return nil // a port the core does not configure (none today)
	}
	have.OFPort = uint16(p.OFPort)
	if diff := portDiff(have, want); len(diff) > 0 {
		return errorf(ErrExists, "\"--may-exist add-port %s %s\" but %s exists with other settings: %s (change them with set port)",
			bridge, want.Name, want.Name, strings.Join(diff, ", "))
	}
	return nil
}

// portDiff lists the settings of want that differ from have, "NAME HAVE,
// not WANT" each. VLAN settings are compared as they resolve (an access
// port with a tag equals one that spells vlan_mode=access).
func portDiff(have, want config.Port) []string {
	var diff []string
	differ := func(what string, h, w any) {
		diff = append(diff, fmt.Sprintf("%s %v, not %v", what, h, w))
	}
	if have.Type != want.Type {
		differ("type", have.Type, want.Type)
	}
	if want.OFPort != 0 && want.OFPort != have.OFPort {
		differ("ofport", have.OFPort, want.OFPort)
	}
	hm, ht, hHas, herr := VLANOf(have)
	wm, wt, wHas, werr := VLANOf(want)
	switch {
	case herr != nil || werr != nil:
		differ("vlan_mode", have.VLANMode, want.VLANMode)
	case hm != wm:
		differ("vlan_mode", hm, wm)
	case hHas != wHas || ht != wt:
		differ("tag", tagText(hHas, ht), tagText(wHas, wt))
	}
	if !slices.Equal(sortedVLANs(have.Trunks), sortedVLANs(want.Trunks)) {
		differ("trunks", have.Trunks, want.Trunks)
	}
	if !maps.Equal(have.Options, want.Options) {
		differ("options", optionsText(have.Options), optionsText(want.Options))
	}
	return diff
}

func tagText(has bool, tag uint16) string {
	if !has {
		return "none"
	}
	return fmt.Sprint(tag)
}

func sortedVLANs(v []uint16) []uint16 {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

func optionsText(o map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(o)) {
		kv = append(kv, k+"="+o[k])
	}
	return "{" + strings.Join(kv, ", ") + "}"
}
