package ipf

import "fmt"

// Limits as Open vSwitch 3.1's userspace ipf has them (checked with
// ovs-appctl dpctl/ipf-get-status and dpctl/ipf-set-*).
const (
	// DefaultMaxFrags is how many fragments may be held at once, all
	// lists and both families together (dpctl/ipf-set-max-nfrags).
	DefaultMaxFrags = 1000
	// MaxFragsBound is the largest MaxFrags SetMaxFrags accepts.
	MaxFragsBound = 5000
	// DefaultMinFragV4 and DefaultMinFragV6 are the smallest IP packet
	// (header included) accepted as a fragment other than the last
	// (dpctl/ipf-set-min-frag).
	DefaultMinFragV4 = 1200
	DefaultMinFragV6 = 1280
	// MinFragBound is the smallest minimum fragment size SetMinFrag
	// accepts, for either family.
	MinFragBound = 400
	// ListLifetime is how long (ns) a list may wait for its missing
	// fragments after its first one arrived; then its fragments are
	// dropped as expired.
	ListLifetime int64 = 15e9
	// PurgeDelay is how long (ns) after ListLifetime a completed datagram
	// may stay unreleased before its fragments are counted as purged.
	PurgeDelay int64 = 10e9
)

// Max IP sizes: an IPv4 datagram's total length and an IPv6 payload
// length are 16-bit fields; an IPv4 header is at most 60 bytes.
const (
	maxIPv4Total  = 65535
	maxIPv6Data   = 65535
	maxIPv4Header = 60
)

// maxListFrags is how many fragments one list may hold for a minimum
// fragment size min and a header of hdr bytes: enough non-overlapping
// fragments of the minimum size to fill the largest datagram, as OVS's
// max_v4_frag_list_size. OVS leaves IPv6 lists unbounded (65535); gvs
// bounds them the same way, counting the fixed header and the fragment
// header.
func maxListFrags(min, hdr, maxData int) int {
	per := min - hdr
	if per < 8 {
		per = 8
	}
	return (maxData - hdr + per - 1) / per
}

// SetEnabled turns reassembly of one family (IPv6 if v6) on or off. With
// it off, fragments of that family pass through Add as NotFragment, but
// fragments already held stay until they complete or expire.
func (r *Reassembler) SetEnabled(v6, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fam[fam(v6)].enabled = on
}

// SetMinFrag sets one family's minimum fragment size (the IP packet,
// header included), as ovs-appctl dpctl/ipf-set-min-frag; values below
// MinFragBound are refused.
func (r *Reassembler) SetMinFrag(v6 bool, n int) error {
	if n < MinFragBound {
		return fmt.Errorf("ipf: minimum fragment size %d below %d", n, MinFragBound)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f := &r.fam[fam(v6)]
	f.minFrag = n
	if v6 {
		f.maxList = maxListFrags(n, 48, maxIPv6Data+40)
	} else {
		f.maxList = maxListFrags(n, maxIPv4Header, maxIPv4Total)
	}
	return nil
}

// SetMaxFrags sets how many fragments may be held at once, as ovs-appctl
// dpctl/ipf-set-max-nfrags; values above MaxFragsBound are refused.
// Lowering it below the number held drops nothing: new fragments are
// refused until enough lists complete or expire.
func (r *Reassembler) SetMaxFrags(n int) error {
	if n < 0 || n > MaxFragsBound {
		return fmt.Errorf("ipf: maximum fragments %d out of range 0..%d", n, MaxFragsBound)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxFrags = n
	return nil
}
