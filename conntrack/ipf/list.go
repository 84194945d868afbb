package ipf

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
)

// Datagram is a reassembled datagram with the fragments it was made of.
type Datagram struct {
	// Frame is the whole datagram as one Ethernet frame: the first
	// fragment's Ethernet and IP headers (an IPv6 fragment header removed)
	// with all the data. This is what conntrack looks up.
	Frame []byte
	// Layout is Frame's layout.
	Layout packet.Layout
	// Frags are the original fragment frames, in offset order: what the
	// datapath sends on.
	Frags [][]byte
	// Key is the datagram's list key.
	Key Key

	owner *list
}

// list states.
const (
	stateFree uint8 = iota
	stateWaiting
	stateDone
	statePurged
)

// list is the fragments of one datagram.
type list struct {
	key        Key
	v6         bool
	state      uint8
	expires    int64
	prev, next *list
	in         *ring  // the ring holding the list, if any
	slots      []slot // in arrival order until build sorts them
	first      frag   // the first fragment's headers, once it arrived
	haveFirst  bool
	haveLast   bool
	end        int // the end of the data held furthest into the datagram
	have       int // data bytes held
	dg         Datagram
	buf        []byte // dg.Frame's storage
}

// slot is one fragment held: a copy of its frame.
type slot struct {
	buf           []byte
	start, end    int // data range in the datagram
	data, dataEnd int // data range in buf
}

func (ls *list) reset(k Key, v6 bool, expires int64) {
	ls.key, ls.v6, ls.state, ls.expires = k, v6, stateWaiting, expires
	ls.slots = ls.slots[:0]
	ls.haveFirst, ls.haveLast, ls.end, ls.have = false, false, 0, 0
	ls.dg.owner = ls
}

// check says why fr cannot join the list, or 0. As in OVS, only a
// fragment whose data meets data already held is refused: a last
// fragment that ends before held data, or a second last one, is kept,
// and its list then cannot complete and expires.
func (ls *list) check(fr *frag, limit int) Reason {
	if len(ls.slots) >= limit {
		return ReasonListFull
	}
	// The first fragment's headers are the datagram's: with a longer
	// header than a later fragment had, the datagram could outgrow 64K.
	h := -1
	if fr.first {
		h = fr.hdr
	} else if ls.haveFirst {
		h = ls.first.hdr
	}
	if h >= 0 && h+max(ls.end, fr.end) > maxIPv4Total { // = maxIPv6Data
		return ReasonOversized
	}
	for i := range ls.slots {
		s := &ls.slots[i]
		if s.start == fr.start && s.end == fr.end {
			return ReasonDuplicate
		}
		if fr.start < s.end && s.start < fr.end {
			return ReasonOverlap
		}
	}
	return 0
}

// add copies the fragment fr of frame f into the list, reusing a slot's
// buffer when one is there.
func (ls *list) add(f []byte, fr *frag) {
	n := len(ls.slots)
	if n < cap(ls.slots) {
		ls.slots = ls.slots[:n+1]
	} else {
		ls.slots = append(ls.slots, slot{buf: make([]byte, 0, max(2048, len(f)))})
	}
	s := &ls.slots[n]
	s.buf = append(s.buf[:0], f...)
	s.start, s.end, s.data, s.dataEnd = fr.start, fr.end, fr.data, fr.dataEnd
	if fr.first {
		ls.first, ls.haveFirst = *fr, true
	}
	ls.haveLast = ls.haveLast || fr.last
	ls.end = max(ls.end, fr.end)
	ls.have += fr.end - fr.start
}

// whole reports whether the list has all of its datagram, as OVS
// decides it: a first and a last fragment seen and, since no two
// fragments overlap, the data contiguous from 0 to the furthest end.
func (ls *list) whole() bool {
	return ls.haveFirst && ls.haveLast && ls.have == ls.end
}

// build sorts the fragments by offset and makes the datagram of them.
func (ls *list) build() {
	for i := 1; i < len(ls.slots); i++ { // insertion sort: lists are short and mostly sorted
		for j := i; j > 0 && ls.slots[j-1].start > ls.slots[j].start; j-- {
			ls.slots[j-1], ls.slots[j] = ls.slots[j], ls.slots[j-1]
		}
	}
	first := &ls.slots[0]
	fh := &ls.first
	hdrEnd := fh.data
	if ls.v6 {
		hdrEnd = fh.fragHdr
	}
	b := append(ls.buf[:0], first.buf[:hdrEnd]...)
	for i := range ls.slots {
		s := &ls.slots[i]
		b = append(b, s.buf[s.data:s.dataEnd]...)
	}
	ls.buf = b
	ip := b[fh.l3:]
	if ls.v6 {
		b[fh.nextHdr] = first.buf[fh.fragHdr] // the fragment header's next header
		binary.BigEndian.PutUint16(ip[4:], uint16(len(ip)-40))
	} else {
		binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
		binary.BigEndian.PutUint16(ip[6:], binary.BigEndian.Uint16(ip[6:])&0x4000) // keep DF only
		hl := int(ip[0]&0xf) * 4
		binary.BigEndian.PutUint16(ip[10:], 0)
		binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:hl], 0))
	}
	d := &ls.dg
	d.Frame, d.Key = b, ls.key
	d.Layout.Parse(b, int(fh.tags))
	d.Frags = d.Frags[:0]
	for i := range ls.slots {
		d.Frags = append(d.Frags, ls.slots[i].buf)
	}
}

// ring is an intrusive doubly linked list of lists, oldest first.
type ring struct {
	head list // sentinel
	n    int
}

func (q *ring) init() { q.head.prev, q.head.next = &q.head, &q.head }

func (q *ring) len() int { return q.n }

func (q *ring) front() *list {
	if q.head.next == &q.head {
		return nil
	}
	return q.head.next
}

func (q *ring) pushBack(ls *list) {
	ls.prev, ls.next = q.head.prev, &q.head
	q.head.prev.next = ls
	q.head.prev = ls
	ls.in = q
	q.n++
}

// unlink removes ls from whichever ring holds it, if any.
func (ls *list) unlink() {
	if ls.in == nil {
		return
	}
	ls.prev.next = ls.next
	ls.next.prev = ls.prev
	ls.in.n--
	ls.prev, ls.next, ls.in = nil, nil, nil
}
