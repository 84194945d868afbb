// Package ipf reassembles IP fragments for the connection tracker, as Open
// vSwitch's userspace ipf (lib/ipf.c): IPv4 and IPv6 fragments are held,
// by datagram, until the datagram is whole; the tracker then looks up the
// reassembled datagram and the datapath sends on the ORIGINAL fragments,
// each with the datagram's conntrack state.
//
// A Reassembler copies the fragments it holds into buffers it reuses, so
// that in steady state (lists and buffers recycled through Release and
// expiry) Add allocates nothing. Time is whatever the caller passes as now
// (nanoseconds); nothing runs in the background.
package ipf

import (
	"sync"

	"github.com/gvs-project/gvs/datapath/packet"
)

// Reassembler holds fragment lists. It is safe for concurrent use.
type Reassembler struct {
	mu       sync.Mutex
	lists    map[Key]*list
	waiting  ring // lists waiting for fragments, oldest first
	done     ring // completed datagrams not released yet, oldest first
	free     []*list
	maxFrags int
	nfrag    int // fragments held, in waiting and done lists
	fam      [2]family
	drops    [NumReasons]uint64
}

// family is one IP version's settings and counters.
type family struct {
	enabled bool
	minFrag int
	maxList int
	cnt     Counters
}

func fam(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// New returns a Reassembler with Open vSwitch's defaults: both families
// enabled, DefaultMaxFrags, DefaultMinFragV4 and DefaultMinFragV6.
func New() *Reassembler {
	r := &Reassembler{lists: make(map[Key]*list), maxFrags: DefaultMaxFrags, free: make([]*list, 0, maxFree)}
	r.waiting.init()
	r.done.init()
	r.fam[0].enabled, r.fam[1].enabled = true, true
	_ = r.SetMinFrag(false, DefaultMinFragV4)
	_ = r.SetMinFrag(true, DefaultMinFragV6)
	return r
}

// Result is what Add did with a packet.
type Result struct {
	Verdict Verdict
	// Reason says why, with Invalid.
	Reason Reason
	// Datagram, with Complete, is the whole datagram and its fragments.
	// It belongs to the caller until it passes it to Release.
	Datagram *Datagram
}

// Add offers the frame f, whose layout is l (as packet.Layout.Parse left
// it), to reassembly in conntrack zone zone at time now (ns). It first
// expires what is due at now. A fragment that is kept or completes a
// datagram is copied: f is not retained. A nil l means f is parsed here.
// Add never panics, whatever f and l hold.
func (r *Reassembler) Add(f []byte, l *packet.Layout, zone uint16, now int64) Result {
	if l == nil {
		var own packet.Layout
		own.Parse(f, packet.DefaultVLANLimit)
		l = &own
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(now)
	var fr frag
	ok, why := r.parse(f, l, zone, &fr)
	if !ok {
		return Result{}
	}
	fm := &r.fam[fam(fr.v6)]
	if why == 0 && r.nfrag >= r.maxFrags {
		why = ReasonTooManyFrags
	}
	if why != 0 {
		return r.refuse(fm, why)
	}
	ls := r.lists[fr.key]
	if ls == nil {
		ls = r.alloc()
		ls.reset(fr.key, fr.v6, now+ListLifetime)
		r.lists[fr.key] = ls
		r.waiting.pushBack(ls)
	}
	if why = ls.check(&fr, fm.maxList); why != 0 {
		if len(ls.slots) == 0 {
			r.drop(ls)
		}
		return r.refuse(fm, why)
	}
	ls.add(f, &fr)
	r.nfrag++
	fm.cnt.Accepted++
	if !ls.whole() {
		return Result{Verdict: Held}
	}
	delete(r.lists, ls.key)
	ls.unlink()
	ls.build()
	ls.state = stateDone
	r.done.pushBack(ls)
	return Result{Verdict: Complete, Datagram: &ls.dg}
}

// refuse counts a refused fragment.
func (r *Reassembler) refuse(fm *family, why Reason) Result {
	r.drops[why]++
	switch why {
	case ReasonTooSmall:
		fm.cnt.TooSmall++
	case ReasonDuplicate, ReasonOverlap:
		fm.cnt.Overlap++
	}
	return Result{Verdict: Invalid, Reason: why}
}

// Release hands back a completed datagram d once its fragments have been
// sent on (sent) or dropped (not sent): its fragments count as completed
// or purged and its buffers are reused. d and the slices it holds must not
// be used afterwards. Releasing one that Expire purged already does
// nothing; release each datagram once (its storage is reused, so a late
// second Release could hit the datagram that reuses it).
func (r *Reassembler) Release(d *Datagram, sent bool) {
	if d == nil || d.owner == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ls := d.owner
	if ls.state != stateDone {
		return
	}
	ls.unlink()
	n := len(ls.slots)
	r.nfrag -= n
	c := &r.fam[fam(ls.v6)].cnt
	if sent {
		c.Completed += uint64(n)
	} else {
		c.Purged += uint64(n)
	}
	r.recycle(ls)
}

// Expire drops, at now (ns), the lists that have waited ListLifetime for
// their missing fragments (counting their fragments as expired) and
// forgets completed datagrams left unreleased PurgeDelay longer (counting
// them as purged; their buffers are left to the garbage collector, as the
// caller may still hold them). It returns how many lists it removed. Add
// does this too; call Expire when no fragments arrive.
func (r *Reassembler) Expire(now int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.expire(now)
}

func (r *Reassembler) expire(now int64) int {
	n := 0
	for ls := r.waiting.front(); ls != nil && now > ls.expires; ls = r.waiting.front() {
		r.fam[fam(ls.v6)].cnt.Expired += uint64(len(ls.slots))
		r.drop(ls)
		n++
	}
	for ls := r.done.front(); ls != nil && now > ls.expires+PurgeDelay; ls = r.done.front() {
		ls.unlink()
		r.nfrag -= len(ls.slots)
		r.fam[fam(ls.v6)].cnt.Purged += uint64(len(ls.slots))
		ls.state = statePurged
		n++
	}
	return n
}

// Lists returns how many lists are waiting for fragments and how many
// completed datagrams await Release.
func (r *Reassembler) Lists() (waiting, done int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lists), r.done.len()
}

// drop removes a waiting list and recycles it.
func (r *Reassembler) drop(ls *list) {
	delete(r.lists, ls.key)
	ls.unlink()
	r.nfrag -= len(ls.slots)
	r.recycle(ls)
}

// alloc returns a list from the pool, or a new one.
func (r *Reassembler) alloc() *list {
	if n := len(r.free); n > 0 {
		ls := r.free[n-1]
		r.free = r.free[:n-1]
		return ls
	}
	return &list{}
}

// maxFree bounds the pool of idle lists, so that a burst does not pin its
// buffers forever.
const maxFree = 64

func (r *Reassembler) recycle(ls *list) {
	ls.state = stateFree
	if len(r.free) < maxFree {
		r.free = append(r.free, ls)
	}
}
