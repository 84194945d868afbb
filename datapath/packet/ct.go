package packet

// Connection-tracking state bits (ct_state), as Open vSwitch numbers them.
const (
	CTNew  = 0x01 // the packet starts a connection (or would)
	CTEst  = 0x02 // part of an established connection
	CTRel  = 0x04 // related to a connection (an ICMP error quoting it)
	CTRpl  = 0x08 // in the reply direction
	CTInv  = 0x10 // the tracker could not make sense of it
	CTTrk  = 0x20 // the packet went through the tracker
	CTSNAT = 0x40 // source NAT applied
	CTDNAT = 0x80 // destination NAT applied
)

// Label is a 128-bit connection label (ct_label).
type Label struct{ Hi, Lo uint64 }

// Set returns l with the bits of mask replaced by those of v.
func (l Label) Set(v, mask Label) Label {
	return Label{Hi: l.Hi&^mask.Hi | v.Hi&mask.Hi, Lo: l.Lo&^mask.Lo | v.Lo&mask.Lo}
}

// CT is a packet's connection-tracking state: what Open vSwitch keeps in
// pkt_metadata's ct_state, ct_zone, ct_mark and ct_label. A tracker
// returns it; the datapath copies it into the flow key.
type CT struct {
	State uint8 // CTNew, CTEst, ...
	Zone  uint16
	Mark  uint32
	Label Label
}

// CTRequest is one run of a packet through a connection tracker, in plain
// terms (the datapath translates the ct() action into it). It lives here,
// beside the packet it is about, so that the datapath, which asks, and
// package conntrack, which answers, need not import each other.
type CTRequest struct {
	Zone uint16
	// Commit creates the connection if there is none and applies Mark and
	// Label to it.
	Commit bool
	// Force (with Commit) deletes a connection the packet matches in the
	// reply direction and commits it anew in the packet's direction.
	Force bool
	// NAT is set when the action has a nat clause. A tracker that
	// translates (conntrack.Tracker.ExecuteNAT) is given the clause itself;
	// plain Execute only counts it.
	NAT bool
	// Mark and Label (under MarkMask and LabelMask) are written to the
	// connection on commit; zero masks leave them as they are.
	Mark, MarkMask   uint32
	Label, LabelMask Label
	// Prev is the packet's state from an earlier pass (zero on the first):
	// a packet already tracked in Zone is not run through the state machine
	// again, as Open vSwitch caches the connection in the packet.
	Prev CT
}

// IsZero reports whether no bit of l is set.
func (l Label) IsZero() bool { return l.Hi|l.Lo == 0 }
