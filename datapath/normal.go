package datapath

import "github.com/gvs-project/gvs/flowtable"

// normal is the NORMAL action: an 802.1Q learning switch over the bridge's
// ports, honouring each port's VLAN mode as Open vSwitch does.
func (x *xlate) normal() {
	k := &x.key
	in := x.inPort()
	if in == nil {
		x.trace.note(x.depth, "NORMAL: no input port, dropping")
		return
	}
	// NORMAL looks at these fields, so a cached result depends on them.
	x.wc.Set(fInPort, fInPort.FullMask())
	x.wc.Set(fEthSrc, fEthSrc.FullMask())
	x.wc.Set(fEthDst, fEthDst.FullMask())
	x.wc.Set(fVLANTCI, fVLANTCI.FullMask())

	dst := k.Get(fEthDst).Lo
	if reservedMAC(dst) {
		x.trace.note(x.depth, "NORMAL: dropping packet to a reserved multicast address")
		return
	}
	tci := uint16(k.Get(fVLANTCI).Lo)
	vid := uint16(0)
	if tci&vlanPresent != 0 {
		vid = tci & 0xfff
	}
	vlan, ok := in.inputVLAN(vid)
	if !ok {
		if x.trace != nil {
			x.trace.note(x.depth, "NORMAL: VLAN not allowed on input port "+in.Name+", dropping")
		}
		x.drop = DropVLAN
		return
	}
	src := k.Get(fEthSrc).Lo
	if src&(1<<40) == 0 && !x.dryRun {
		var mac [6]byte
		putMAC48(mac[:], src)
		x.bridge.FDB.Learn(vlan, mac, uint32(in.OFPort), x.now)
		if x.caching {
			x.cache.learns = append(x.cache.learns, macLearn{x.bridge.FDB, vlan, mac, uint32(in.OFPort)})
		}
	}
	if dst&(1<<40) != 0 {
		x.trace.note(x.depth, "NORMAL: multicast or broadcast destination, flooding")
		x.normalFlood(in, vlan, tci)
		return
	}
	var mac [6]byte
	putMAC48(mac[:], dst)
	n, until, found := x.bridge.FDB.LookupUntil(vlan, mac, x.now)
	if found && x.caching {
		x.cache.expires(until)
	}
	if found {
		out := x.bridge.Port(flowtable.Port(n))
		switch {
		case out == nil:
		case out == in:
			x.trace.note(x.depth, "NORMAL: learned port is the input port, dropping")
			return
		default:
			if x.trace != nil {
				x.trace.note(x.depth, "NORMAL: forwarding to learned port "+out.Name)
			}
			x.normalOutput(out, vlan, tci)
			return
		}
	}
	x.trace.note(x.depth, "NORMAL: no learned MAC for destination, flooding")
	x.normalFlood(in, vlan, tci)
}

// normalFlood outputs to every port of vlan except the input port.
func (x *xlate) normalFlood(in *Port, vlan, tci uint16) {
	for _, p := range x.bridge.Ports() {
		if p == in || p.NoFlood || !p.includesVLAN(vlan) {
			continue
		}
		x.normalOutput(p, vlan, tci)
		if x.exit {
			return
		}
	}
}

// normalOutput sends the packet of vlan to p, tagged or not as p's VLAN mode
// says; the priority bits of the original tag are kept.
func (x *xlate) normalOutput(p *Port, vlan, tci uint16) {
	vid := p.outputVID(vlan)
	out := uint16(0)
	if vid != 0 {
		out = vid | tci&0xe000 | vlanPresent
	}
	x.key.Set(fVLANTCI, u64(uint64(out)))
	x.outputPort(p)
	x.key.Set(fVLANTCI, u64(uint64(tci)))
}

// flood is the FLOOD and ALL actions: every port but the input port
// (FLOOD also skips no-flood ports), with no VLAN processing.
func (x *xlate) flood(skipNoFlood bool) {
	in := flowtable.Port(x.key.Get(fInPort).Lo)
	for _, p := range x.bridge.Ports() {
		if p.OFPort == in || skipNoFlood && p.NoFlood {
			continue
		}
		x.outputPort(p)
		if x.exit {
			return
		}
	}
}

// reservedMAC reports whether NORMAL must not forward frames to dst, as
// Open vSwitch's eth_addr_is_reserved: IEEE 802.1D/802.1Q link-local
// groups, Cisco's CDP/VTP/DTP/PVST+ and Extreme's protocol addresses.
func reservedMAC(dst uint64) bool {
	switch {
	case dst&^0xf == 0x0180c2000000, // 01:80:c2:00:00:0x
		dst >= 0x01000cccccc0 && dst <= 0x01000cccccc7, // Cisco PVST+ and friends
		dst == 0x01000ccccccc, dst == 0x01000ccccccd, dst == 0x01000ccdcdcd, dst == 0x01000c000000,
		dst == 0x00e02b000000, dst == 0x00e02b000004, dst == 0x00e02b000006:
		return true
	}
	return false
}
