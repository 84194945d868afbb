package datapath

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// Conntrack is the connection tracker the ct action uses. It is defined
// here, where it is consumed, in plain terms that know nothing of
// OpenFlow; package conntrack implements it. ctRequest and setCTKey below
// translate between it and the ct() action and the flow key.
type Conntrack interface {
	// Execute runs req on the packet pkt (read only) at now (unix ns) and
	// returns the packet's connection-tracking state. It must be safe for
	// concurrent use and should not allocate for a known connection.
	Execute(pkt *packet.Packet, req *packet.CTRequest, now int64) packet.CT
}

// NATConntrack is a Conntrack that also does ct(nat): ExecuteNAT is
// Execute for an action with the nat clause nat, and may rewrite the
// packet's addresses and ports in place (checksums kept right). The
// datapath uses it when the tracker has it; a plain Conntrack ignores nat.
type NATConntrack interface {
	Conntrack
	ExecuteNAT(pkt *packet.Packet, req *packet.CTRequest, nat *flowtable.NAT, now int64) packet.CT
}

// ctRequest fills req with what the ct action a asks of the tracker for a
// packet whose flow key (at the action) is key: the zone (from a field when
// the action says zone=FIELD[...]), commit, force, the ct_mark and
// ct_label that exec(set_field:...) writes (several set_fields compose in
// order into one masked value), and the state an earlier ct() left in the
// key.
func ctRequest(req *packet.CTRequest, a *flowtable.CT, key *flowtable.Key) {
	*req = packet.CTRequest{Zone: ctZone(a, key), Commit: a.Commit, Force: a.Force, NAT: a.NAT != nil}
	req.Prev.State = uint8(key.Get(fCTState).Lo)
	req.Prev.Zone = uint16(key.Get(fCTZone).Lo)
	for _, e := range a.Exec {
		sf, ok := e.(flowtable.SetField)
		if !ok {
			continue
		}
		switch sf.Field {
		case flowtable.FieldCTMark:
			m := uint32(sf.Mask.Lo)
			req.Mark = req.Mark&^m | uint32(sf.Value.Lo)&m
			req.MarkMask |= m
		case flowtable.FieldCTLabel:
			m := packet.Label{Hi: sf.Mask.Hi, Lo: sf.Mask.Lo}
			req.Label = req.Label.Set(packet.Label{Hi: sf.Value.Hi, Lo: sf.Value.Lo}, m)
			req.LabelMask = packet.Label{Hi: req.LabelMask.Hi | m.Hi, Lo: req.LabelMask.Lo | m.Lo}
		}
	}
}

// ctZone is the zone the ct action a runs in: its zone=N, or the value of
// its zone=FIELD[...] in key.
func ctZone(a *flowtable.CT, key *flowtable.Key) uint16 {
	if a.ZoneSrc.Field == flowtable.FieldNone {
		return a.Zone
	}
	return uint16(key.GetBits(flowtable.FieldByID(a.ZoneSrc.Field), a.ZoneSrc.Ofs, a.ZoneSrc.Bits).Lo)
}

// setCTKey writes a tracker's result into the flow key's ct_state, ct_zone,
// ct_mark and ct_label.
func setCTKey(key *flowtable.Key, r packet.CT) {
	key.Set(fCTState, u64(uint64(r.State)))
	key.Set(fCTZone, u64(uint64(r.Zone)))
	key.Set(fCTMark, u64(uint64(r.Mark)))
	key.Set(fCTLabel, flowtable.Value{Hi: r.Label.Hi, Lo: r.Label.Lo})
}

// runCT runs the ct action rc on the packet p through ct and records the
// result in rc's key.
// A translated packet's addresses and ports are written into the key too,
// so that the traversal resumed after ct(nat,table=N) matches the packet
// as it now is, as in Open vSwitch.
func (w *Worker) runCT(ct Conntrack, p *packet.Packet, rc *recirc) {
	ctRequest(&w.ctReq, &rc.ct, &rc.key)
	var r packet.CT
	if nc, ok := ct.(NATConntrack); ok && rc.ct.NAT != nil {
		r = nc.ExecuteNAT(p, &w.ctReq, rc.ct.NAT, w.Now())
		if r.State&(packet.CTSNAT|packet.CTDNAT) != 0 {
			natKey(&rc.key, p)
		}
	} else {
		r = ct.Execute(p, &w.ctReq, w.Now())
	}
	setCTKey(&rc.key, r)
	w.traceCT(&rc.ct, &rc.key)
}

// natKey copies the IP addresses and TCP/UDP ports of p's frame into key
// after ct(nat) rewrote them.
func natKey(key *flowtable.Key, p *packet.Packet) {
	l, f := p.Layout(), p.Frame()
	if l.L3 == 0 {
		return
	}
	ip := f[l.L3:]
	switch l.EthType {
	case header.EtherTypeIPv4:
		key.Set(fIPv4Src, u64(uint64(binary.BigEndian.Uint32(ip[12:]))))
		key.Set(fIPv4Dst, u64(uint64(binary.BigEndian.Uint32(ip[16:]))))
	case header.EtherTypeIPv6:
		key.Set(fIPv6Src, flowtable.Value{Hi: binary.BigEndian.Uint64(ip[8:]), Lo: binary.BigEndian.Uint64(ip[16:])})
		key.Set(fIPv6Dst, flowtable.Value{Hi: binary.BigEndian.Uint64(ip[24:]), Lo: binary.BigEndian.Uint64(ip[32:])})
	}
	if l.L4 != 0 && (l.Proto == header.ProtocolTCP || l.Proto == header.ProtocolUDP) {
		key.Set(fTPSrc, u64(uint64(binary.BigEndian.Uint16(f[l.L4:]))))
		key.Set(fTPDst, u64(uint64(binary.BigEndian.Uint16(f[l.L4+2:]))))
	}
}

// recirc is a traversal to resume after the datapath has run ct on the
// packet: Open vSwitch's recirculation.
type recirc struct {
	key    flowtable.Key // the flow at the ct action (registers included)
	ct     flowtable.CT  // a copy, so that the per-packet path does not allocate
	table  uint8
	bridge *Bridge // the bridge whose table the traversal resumes in
}

// conntrack runs a ct action the way Open vSwitch does: pending changes are
// committed to the frame, the datapath will send it through the tracker,
// and with table=N a copy resumes in table N with the conntrack fields set
// (recirculation). The original continues with the rest of the actions as
// an untracked packet.
func (x *xlate) conntrack(a flowtable.CT) {
	x.commit()
	x.recircs = append(x.recircs, recirc{key: x.key, ct: a, table: a.Table, bridge: x.bridge})
	x.ops = append(x.ops, op{kind: opCT, a: uint64(len(x.recircs) - 1)})
	if a.Table != flowtable.TableCurrent {
		x.forks++ // the copy resumes in a.Table: not a drop
		x.trace.recirc(x.depth, a.Table)
	}
	// The rest of the actions see an untracked packet (checked against
	// Open vSwitch 3.1: ct_state reads 0 after ct(commit)).
	x.key.ClearCT()
}

var ctStateNames = [...]string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

// ctStateString prints ct_state bits as "+new+trk".
func ctStateString(st uint64) string {
	if st == 0 {
		return "0"
	}
	var b strings.Builder
	for i, n := range ctStateNames {
		if st&(1<<i) != 0 {
			b.WriteString("+")
			b.WriteString(n)
		}
	}
	return b.String()
}

// traceCT reports the result of a ct lookup in the trace.
func (w *Worker) traceCT(a *flowtable.CT, k *flowtable.Key) {
	if w.Trace == nil {
		return
	}
	what := "lookup"
	if a.Commit {
		what = "commit"
	}
	w.tracef("ct(%s): state=%s zone=%d mark=%#x label=%#x\n", what, ctStateString(k.Get(fCTState).Lo),
		k.Get(fCTZone).Lo, k.Get(fCTMark).Lo, k.Get(fCTLabel).Lo)
}

// traceRecircs continues a dry-run trace through the recirculations that
// ct(table=N) actions asked for, as ofproto/trace does without --ct-next:
// the tracker is not consulted (nothing is committed) and the resumed
// packet has ct_state=new|trk in the action's zone.
func (w *Worker) traceRecircs(rcs []recirc) string {
	var b strings.Builder
	x := &w.x
	for i := 0; i < len(rcs) && i < maxRecirc; i++ {
		rc := rcs[i]
		if rc.table == flowtable.TableCurrent {
			continue
		}
		key := rc.key
		zone := ctZone(&rc.ct, &key)
		key.ClearCT()
		st, how := w.nextTraceCT()
		key.Set(fCTState, u64(st))
		key.Set(fCTZone, u64(uint64(zone)))
		fmt.Fprintf(&b, "\nct(table=%d) is not run by a trace: resuming with %s ct_state=%s zone=%d\n", rc.table, how, ctStateString(st), zone)
		x.reset(&key, rc.bridge, 0, w.Now())
		x.dryRun = true
		x.trace = newTracer(&key, rc.table)
		x.run(rc.table)
		b.WriteString(x.trace.finish(x))
		rcs = append(rcs, x.recircs...)
	}
	return b.String()
}
