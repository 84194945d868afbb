package ovsdb

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/gvs-project/gvs/config"
)

// setHostMTU gives the host interface of a port the MTU an Interface's
// mtu_request asks for, as ovs-vswitchd does through netdev_set_mtu.
// Ports without a host interface (pcap, patch; a LOCAL port gvs did not
// make a device for) only report the request back, as Open vSwitch's
// dummy netdev does; nothing is changed if the MTU is already right. A
// variable for tests.
var setHostMTU = func(name string, kind config.PortKind, mtu int) error {
	if kind == config.KindPcap || kind == config.KindPatch {
		return nil
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil // no host interface: nothing to change
	}
	if l.Attrs().MTU == mtu {
		return nil
	}
	if err := netlink.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("interface %s: could not set MTU %d: %w", name, mtu, err)
	}
	return nil
}
