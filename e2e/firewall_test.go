package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// Example D (testdata/replay/d-firewall): Neutron's openvswitch firewall
// flows, unchanged, on br-int with the VM qvo-vm 5 (tag 1) and the trusted
// router port qr-gw 6 (tag 1), and br-vlan with the wire eth1 2.
var pcapPortsD = []portA{
	{"qvo-vm", "br-int", 5},
	{"qr-gw", "br-int", 6},
	{"eth1", "br-vlan", 2},
}

// TestFirewallInDaemon runs the firewall case through a real gvsd, driven
// only by gvsctl: every frame must leave exactly where Open vSwitch sent
// it (handshakes, replies, the SYN from outside the group dropped, the
// member's SYN admitted, ICMP errors, out-of-window segments, DHCP), and
// the daemon's connection table must then hold the VM's connections in the
// network's zone.
func TestFirewallInDaemon(t *testing.T) {
	d := startDaemon(t, daemonConfig{})
	d.ctl("add-br", "br-int", "fail_mode=secure")
	d.ctl("add-br", "br-vlan", "fail_mode=secure")
	d.ctl("add-port", "br-int", "int-br-vlan", "type=patch", "ofport=1", "options:peer=phy-br-vlan")
	d.ctl("add-port", "br-int", "qvo-vm", "type=pcap", "ofport=5", "tag=1", "options:tx="+txPath(d.dir, "qvo-vm"))
	d.ctl("add-port", "br-int", "qr-gw", "type=pcap", "ofport=6", "tag=1", "options:tx="+txPath(d.dir, "qr-gw"))
	d.ctl("add-port", "br-vlan", "phy-br-vlan", "type=patch", "ofport=1", "options:peer=int-br-vlan")
	d.ctl("add-port", "br-vlan", "eth1", "type=pcap", "ofport=2", "options:tx="+txPath(d.dir, "eth1"))
	d.ctl("add-flows", "br-int", filepath.Join(repoRoot, "testdata/flows/D-master-br-int-ovsfw.flows"))
	d.ctl("add-flows", "br-vlan", filepath.Join(repoRoot, "testdata/replay/d-firewall/br-vlan.flows"))
	injectCase(t, d, "d-firewall", pcapPortsD)
	ct := d.ctl("dump-conntrack", "zone=1")
	if !strings.Contains(ct, "192.168.1.9") || !strings.Contains(ct, "zone=1") {
		t.Errorf("dump-conntrack zone=1 lacks the VM's connections:\n%s", ct)
	}
	if other := d.ctl("dump-conntrack", "zone=2"); strings.TrimSpace(other) != "" {
		t.Errorf("zone 2 should be empty:\n%s", other)
	}
}
