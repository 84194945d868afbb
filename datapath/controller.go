package datapath

import "github.com/gvs-project/gvs/flowtable"

// PacketIn is a packet that a flow sent to the controller (output to
// CONTROLLER, or the controller action), as it is at that point of the
// pipeline: header changes before the output are applied.
type PacketIn struct {
	Bridge  *Bridge
	InPort  flowtable.Port
	Reason  string // one of flowtable.ControllerReasons: "action" unless the action says otherwise
	TableID uint8  // the table of the flow that sent it
	Cookie  uint64 // that flow's cookie
	MaxLen  uint16 // the action's max_len (65535: all), passed on; Frame is always whole, as in OVS
	// Frame is the packet's frame, valid only during the hook's call: a
	// hook that keeps it must copy it.
	Frame []byte
}

// SetPacketIn sets the hook that receives packet-ins; nil removes it. With
// no hook, output to CONTROLLER is a drop (DropController), as it is when
// no controller is connected to Open vSwitch. The hook runs on the worker
// that forwards the packet: it must return at once and never block (a
// subscriber that falls behind loses packet-ins, it cannot stall
// forwarding).
func (dp *Datapath) SetPacketIn(hook func(PacketIn)) {
	if hook == nil {
		dp.packetIn.Store(nil)
		return
	}
	dp.packetIn.Store(&hook)
}

// packetIn hands the frame to the packet-in hook; o.port is the bridge's
// LOCAL port, the rest as xlate.controller packs it. The hook may have
// gone since the packet was translated: then the packet is dropped as
// without a controller.
func (w *Worker) packetIn(p *Packet, o *op) {
	b := o.port.Bridge
	hook := w.dp.packetIn.Load()
	if hook == nil {
		b.countDrop(DropController)
		return
	}
	(*hook)(PacketIn{Bridge: b, InPort: flowtable.Port(o.a), Reason: flowtable.ControllerReasons[uint8(o.d)%uint8(len(flowtable.ControllerReasons))],
		TableID: uint8(o.b), Cookie: o.c, MaxLen: uint16(o.d >> 8), Frame: p.Frame()})
}
