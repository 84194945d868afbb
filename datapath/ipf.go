package datapath

import (
	"github.com/gvs-project/gvs/conntrack/ipf"
	"github.com/gvs-project/gvs/datapath/packet"
)

// Defrag is the IP fragment reassembly the datapath runs in front of the
// connection tracker, as Open vSwitch's userspace datapath runs ipf around
// conntrack_execute: a fragment is held until its datagram is whole, the
// tracker looks up the reassembled datagram once, and the original
// fragments go on, each with the datagram's conntrack state. It is safe
// for concurrent use; the per-packet state lives in a DefragStep the
// caller owns (one per worker, so nothing is allocated per packet).
type Defrag struct {
	r *ipf.Reassembler
}

// NewDefrag returns reassembly with Open vSwitch's defaults (see
// ipf.New).
func NewDefrag() *Defrag { return &Defrag{r: ipf.New()} }

// Reassembler returns the reassembler, for dpctl/ipf-set-* and
// dpctl/ipf-get-status.
func (d *Defrag) Reassembler() *ipf.Reassembler { return d.r }

// DefragStep is one packet's passage through Defrag: set by Before, read
// by the caller, closed by Done.
type DefragStep struct {
	// Verdict is what reassembly did with the packet (see ipf.Verdict).
	Verdict ipf.Verdict
	// Reason says why, with ipf.Invalid.
	Reason ipf.Reason
	// Whole, with ipf.Complete, is the reassembled datagram for the
	// tracker to look up, with the completing fragment's metadata.
	Whole packet.Packet
	dg    *ipf.Datagram
}

// Before offers the packet p, about to go through the tracker in zone at
// now (ns), to reassembly and says in s what to run the tracker on:
//
//   - ipf.NotFragment: p itself, as without reassembly.
//   - ipf.Held: nothing; p was copied and the caller is done with it (it
//     leaves the pipeline here, and is no drop).
//   - ipf.Complete: &s.Whole; afterwards the caller sends on
//     s.Fragments() with the tracker's result in place of p, then calls
//     Done.
//   - ipf.Invalid: nothing; p goes on untracked-but-invalid, with
//     InvalidCT's state, as OVS marks a refused fragment ct_state=inv.
func (d *Defrag) Before(p *packet.Packet, zone uint16, now int64, s *DefragStep) {
	res := d.r.Add(p.Frame(), p.Layout(), zone, now)
	s.Verdict, s.Reason, s.dg = res.Verdict, res.Reason, res.Datagram
	if res.Verdict != ipf.Complete {
		return
	}
	f := res.Datagram.Frame
	s.Whole.Reset(f, 0, len(f))
	s.Whole.Meta = p.Meta
	s.Whole.Parse(int(res.Datagram.Layout.Tags))
}

// Fragments returns, after ipf.Complete, the original fragment frames in
// offset order: what the datapath sends on in place of the packet. They
// are valid until Done.
func (s *DefragStep) Fragments() [][]byte {
	if s.dg == nil {
		return nil
	}
	return s.dg.Frags
}

// Done ends a step: after ipf.Complete it releases the datagram, its
// fragments counted as completed if sent, else as purged. It is a no-op
// for the other verdicts and when called again.
func (d *Defrag) Done(s *DefragStep, sent bool) {
	if s.dg != nil {
		d.r.Release(s.dg, sent)
		s.dg = nil
	}
	s.Whole.Reset(nil, 0, 0)
}

// Expire drops the lists that waited too long, for a worker to call when
// no fragments arrive (Before expires as it goes).
func (d *Defrag) Expire(now int64) { d.r.Expire(now) }

// InvalidCT is the tracker state of a fragment reassembly refused in
// zone: +inv+trk, as Open vSwitch leaves it.
func InvalidCT(zone uint16) packet.CT {
	return packet.CT{State: packet.CTInv | packet.CTTrk, Zone: zone}
}

// TrackFragments runs ct on p with request req at now through
// reassembly, the way the datapath's ct action does with fragments. It
// returns the tracker's state for the packet(s) to go on and whether any
// do: false when p was held. After ipf.Complete the packets to go on are
// s.Fragments(), and the caller calls d.Done(s, sent) once they are sent.
func (d *Defrag) TrackFragments(ct Conntrack, p *packet.Packet, req *packet.CTRequest, now int64, s *DefragStep) (packet.CT, bool) {
	d.Before(p, req.Zone, now, s)
	switch s.Verdict {
	case ipf.Held:
		return packet.CT{}, false
	case ipf.Invalid:
		return InvalidCT(req.Zone), true
	case ipf.Complete:
		return ct.Execute(&s.Whole, req, now), true
	}
	return ct.Execute(p, req, now), true
}
