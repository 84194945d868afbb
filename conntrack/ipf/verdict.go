package ipf

// Verdict is what Add did with a packet.
type Verdict uint8

const (
	// NotFragment: the packet is no IP fragment, or reassembly of its
	// family is off. The caller goes on with it as usual.
	NotFragment Verdict = iota
	// Held: a copy of the fragment is kept until its datagram is whole;
	// the caller is done with its frame.
	Held
	// Complete: the fragment completed its datagram, which Result.Datagram
	// holds with all original fragments; the fragment itself is one of
	// them.
	Complete
	// Invalid: the fragment was refused for Result.Reason and nothing of
	// it is kept. Open vSwitch marks such a packet ct_state=inv.
	Invalid
)

var verdictNames = [...]string{"not a fragment", "held", "complete", "invalid"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return "unknown"
}

// Reason says why Add refused a fragment.
type Reason uint8

const (
	ReasonNone Reason = iota
	// ReasonMalformed: the headers do not describe a fragment with data
	// (an empty fragment, an IPv6 extension header chain that cannot be
	// walked to the fragment header).
	ReasonMalformed
	// ReasonBadChecksum: the IPv4 header checksum is wrong.
	ReasonBadChecksum
	// ReasonTooSmall: a fragment other than the last is below the
	// family's minimum fragment size.
	ReasonTooSmall
	// ReasonOversized: the fragment reaches past the largest IP datagram
	// (65535 bytes of IPv4 total length or IPv6 payload).
	ReasonOversized
	// ReasonDuplicate: the fragment's data is already held.
	ReasonDuplicate
	// ReasonOverlap: the fragment overlaps data already held.
	ReasonOverlap
	// ReasonTooManyFrags: MaxFrags fragments are held already.
	ReasonTooManyFrags
	// ReasonListFull: the fragment's list holds the most fragments a
	// datagram of minimum-size fragments needs.
	ReasonListFull
	// NumReasons is the number of reasons, for arrays indexed by Reason.
	NumReasons
)

var reasonNames = [...]string{"", "malformed fragment", "bad IPv4 header checksum", "fragment too small",
	"reassembled datagram too large", "duplicate fragment", "overlapping fragment",
	"too many fragments held", "too many fragments in list"}

// String names the reason as drop statistics and traces print it.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}
