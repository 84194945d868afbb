package ipf

import (
	"fmt"
	"strings"
)

// Counters are one family's fragment counts, the v4/v6 lines of ovs-appctl
// dpctl/ipf-get-status. Each counts fragments, not lists.
type Counters struct {
	// Accepted fragments were taken into a list.
	Accepted uint64
	// Completed fragments were handed on as part of a whole datagram and
	// released as sent.
	Completed uint64
	// Expired fragments were dropped because their list outlived
	// ListLifetime.
	Expired uint64
	// TooSmall fragments (other than a last one) were below the minimum
	// fragment size.
	TooSmall uint64
	// Overlap fragments duplicated or overlapped data already held.
	Overlap uint64
	// Purged fragments belonged to a completed datagram that was released
	// unsent or never released.
	Purged uint64
}

// Status is the state of a Reassembler as ovs-appctl dpctl/ipf-get-status
// reports it, plus the drop count per Reason.
type Status struct {
	V4Enabled, V6Enabled bool
	MaxFrags             int // limit on fragments held
	Frags                int // fragments held now
	MinFragV4, MinFragV6 int
	V4, V6               Counters
	// Drops counts the fragments Add refused, by reason, both families.
	Drops [NumReasons]uint64
}

// Status returns a snapshot of the counters and settings.
func (r *Reassembler) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Status{
		V4Enabled: r.fam[0].enabled, V6Enabled: r.fam[1].enabled,
		MaxFrags: r.maxFrags, Frags: r.nfrag,
		MinFragV4: r.fam[0].minFrag, MinFragV6: r.fam[1].minFrag,
		V4: r.fam[0].cnt, V6: r.fam[1].cnt,
		Drops: r.drops,
	}
}

// String prints s exactly as ovs-appctl dpctl/ipf-get-status does.
func (s Status) String() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, "        "+format+"\n", a...) }
	p("Fragmentation Module Status")
	p("---------------------------")
	p("v4 enabled: %d", b2i(s.V4Enabled))
	p("v6 enabled: %d", b2i(s.V6Enabled))
	p("max num frags (v4/v6): %d", s.MaxFrags)
	p("num frag: %d", s.Frags)
	for _, f := range [2]struct {
		name string
		min  int
		c    Counters
	}{{"v4", s.MinFragV4, s.V4}, {"v6", s.MinFragV6, s.V6}} {
		p("min %s frag size: %d", f.name, f.min)
		p("%s frags accepted: %d", f.name, f.c.Accepted)
		p("%s frags completed: %d", f.name, f.c.Completed)
		p("%s frags expired: %d", f.name, f.c.Expired)
		p("%s frags too small: %d", f.name, f.c.TooSmall)
		p("%s frags overlapped: %d", f.name, f.c.Overlap)
		p("%s frags purged: %d", f.name, f.c.Purged)
	}
	return b.String()
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
