// Package conntrack is gvs's connection tracker: the userspace equivalent
// of Open vSwitch's lib/conntrack that the datapath's ct() action runs.
//
// The API is plain: Tracker.Execute takes a
// datapath/packet.Packet and a Request (zone, commit, force, mark and label
// to set, the packet's earlier state) and returns a Result (ct_state bits,
// zone, mark, label); both are defined in datapath/packet. The datapath
// translates its ct() action into a Request (datapath/conntrack.go).
// Tracker.ExecuteNAT adds the action's nat clause, as flowtable.NAT (the
// parsed clause: the one OpenFlow type this package takes), and may
// rewrite the frame.
//
// Files: conntrack.go holds the API and the per-packet decision (process);
// parse.go reads the tuple at the offsets of the packet's layout
// (datapath/packet.Layout, the one walk over a frame); tcp.go is the TCP
// state machine; table.go the sharded table (lookup, insert, early drop, sweep, flush,
// stats); dump.go lists entries as ovs-appctl dpctl/dump-conntrack does.
//
// Connections are looked up by zone and 5-tuple (IPv4 and IPv6; TCP, UDP,
// ICMP/ICMPv6 echo id, other protocols by address pair). Only ct(commit)
// creates entries; every ct() updates the entry it finds (TCP state and
// sequence windows, UDP/ICMP replied state, expiry). ICMP errors whose
// quoted packet matches an entry are +rel. The entry keeps an original and
// a reply tuple, which NAT makes differ; either finds the entry.
//
// Semantics follow Open vSwitch 3.1's userspace conntrack and are checked
// against it frame by frame (testdata/replay/ct-states, ct-expiry,
// d-firewall): UDP, ICMP and other protocols stay +new until a reply; a
// retransmitted SYN is +new; SYN-ACK, SYN+FIN, SYN+RST, FIN or PSH without
// ACK, bad IPv4/L4 checksums, fragments, echo replies without a request and
// ICMP errors quoting no known connection are +inv; a lone RST or a
// mid-stream ACK may start a connection; sequence/ack checks with window
// scaling; a SYN after both sides closed (or a RST) starts anew; timeouts
// are OVS's defaults. A second ct() in the same zone on a packet already
// tracked does not run the state machine again (OVS caches the connection
// in the packet's metadata).
//
// NAT (nat.go: choice of addresses and ports, as Open vSwitch 3.1;
// nat_rewrite.go: the packet rewrite) is checked byte for byte against
// Open vSwitch 3.1 (TestNATMatchesOVS). NATed connections live in one
// extra shard. ICMP echo ids are translated on collision as Linux does.
//
// Not done yet: ALGs (alg=ftp/tftp is ignored), and IP fragment
// reassembly (fragments are +inv; OVS reassembles valid ones first).
//
// The table is split into shards, each with its own mutex, index map and
// slab of entries: there is no global lock, and a packet of an existing
// connection allocates nothing. Both directions of a connection hash to the
// same shard (the shard hash is symmetric in source and destination),
// except for NATed connections (nat.go).
package conntrack

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// ct_state bits (packet.CTNew and the rest, under the names this package
// has always used).
const (
	StateNew  = packet.CTNew
	StateEst  = packet.CTEst
	StateRel  = packet.CTRel
	StateRpl  = packet.CTRpl
	StateInv  = packet.CTInv
	StateTrk  = packet.CTTrk
	StateSNAT = packet.CTSNAT
	StateDNAT = packet.CTDNAT
)

// Request is one ct() run on a packet; Result is the packet's state after
// it. Both are plain values defined in package packet, which the datapath
// shares with this package.
type (
	Request = packet.CTRequest
	Result  = packet.CT
)

const (
	shardCount   = 512
	chunkSize    = 256
	evictScan    = 64
	defaultLimit = 3000000 // Open vSwitch's userspace default (other_config is not read)
)

// Timeouts are the per-state idle timeouts; the zero value of a field means
// Open vSwitch's default (lib/conntrack-private.h / conntrack-tp.c
// CT_TIMEOUTS): TCP first packet 30 s, opening 30 s, established 24 h,
// closing 15 min, fin-wait 45 s, closed 30 s; other (UDP and the rest)
// first 60 s, multiple 60 s, bidirectional 30 s; ICMP first 60 s, reply
// 30 s.
type Timeouts struct {
	TCPFirstPacket, TCPOpening, TCPEstablished, TCPClosing, TCPFinWait, TCPClosed time.Duration
	OtherFirst, OtherMultiple, OtherBidir                                         time.Duration
	ICMPFirst, ICMPReply                                                          time.Duration
}

// DefaultTimeouts returns Open vSwitch's default timeouts.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		TCPFirstPacket: 30 * time.Second, TCPOpening: 30 * time.Second, TCPEstablished: 24 * time.Hour,
		TCPClosing: 15 * time.Minute, TCPFinWait: 45 * time.Second, TCPClosed: 30 * time.Second,
		OtherFirst: 60 * time.Second, OtherMultiple: 60 * time.Second, OtherBidir: 30 * time.Second,
		ICMPFirst: 60 * time.Second, ICMPReply: 30 * time.Second,
	}
}

// timeout indices into Tracker.tmo.
const (
	tmTCPFirst = iota
	tmTCPOpening
	tmTCPEstablished
	tmTCPClosing
	tmTCPFinWait
	tmTCPClosed
	tmOtherFirst
	tmOtherMultiple
	tmOtherBidir
	tmICMPFirst
	tmICMPReply
	numTimeouts
)

// Config configures a Tracker. The zero value is Open vSwitch's defaults.
type Config struct {
	// MaxEntries bounds the whole table (default 3,000,000).
	MaxEntries int
	// ZoneLimits bounds single zones; zones not listed are bounded by
	// MaxEntries only.
	ZoneLimits map[uint16]int
	// Liberal turns TCP sequence/window checks off (state transitions are
	// still tracked), like nf_conntrack_tcp_be_liberal.
	Liberal bool
	// NoChecksums skips IPv4 header and L4 checksum validation (OVS skips it
	// for packets whose checksums the NIC verified).
	NoChecksums bool
	Timeouts    Timeouts
	// NATHashBasis, when set, is the basis of the hash that picks NAT
	// addresses and ports; a fixed basis (gvsd replay) makes the choice
	// the same on every run. Nil: a random basis, as Open vSwitch draws.
	NATHashBasis *uint32
}

// Tracker is a connection tracker. It implements datapath.Conntrack and
// is safe for concurrent use.
type Tracker struct {
	// shards[natShard] holds every NATed connection: its two tuples need
	// not hash to one natural shard. See nat.go.
	shards     [shardCount + 1]shard
	max        int64
	zoneLimits atomic.Pointer[map[uint16]int]
	liberal    bool
	checksums  bool
	tmo        [numTimeouts]int64

	count     atomic.Int64
	zoneCount [65536]atomic.Int32
	natZone   [65536]atomic.Int32 // entries of the NAT shard per zone

	nNew, nInvalid, nEarlyDrop, nLimitDrop, nNAT atomic.Uint64
	nNATExhausted, nNATConns                     atomic.Uint64
	rotor                                        atomic.Uint32 // where makeRoom looks next
	natBasis                                     atomic.Uint32
	natRand                                      atomic.Uint64 // state of nat(random)'s generator

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// conn is one connection. Both tuples are stored so NAT can make them
// differ; index 0 is the original direction, 1 the reply.
type conn struct {
	t       [2]tuple
	next    [2]uint32 // hash chain per direction: ref+1, 0 = end
	expires int64     // unix ns
	label   packet.Label
	mark    uint32
	tcp     [2]peer
	kind    uint8 // other/ICMP state: first, multiple, bidir (reply seen)
	flags   uint8
	nat     uint8 // natSrc, natDst: how t[1] differs from t[0] reversed
}

const (
	flagUsed  = 1
	flagReply = 2 // a reply-direction packet has been seen
)

const (
	otherFirst = iota
	otherMultiple
	otherBidir
)

type shard struct {
	mu     sync.Mutex
	idx    map[uint64]uint32 // tuple hash -> head ref (conn index<<1 | direction)
	chunks []*[chunkSize]conn
	free   []uint32
	n      atomic.Int32 // entries in use (read without the lock by makeRoom)
	cursor uint32
	now    int64    // latest packet time seen in this shard (Dump's clock)
	_      [44]byte // 128 bytes a shard: no false sharing between shards
}

func (s *shard) at(i uint32) *conn { return &s.chunks[i/chunkSize][i%chunkSize] }

// New returns a tracker.
func New(cfg Config) *Tracker {
	t := &Tracker{max: int64(cfg.MaxEntries), liberal: cfg.Liberal, checksums: !cfg.NoChecksums}
	if t.max <= 0 {
		t.max = defaultLimit
	}
	d, c := DefaultTimeouts(), cfg.Timeouts
	pick := func(v, def time.Duration) int64 {
		if v > 0 {
			return int64(v)
		}
		return int64(def)
	}
	t.tmo = [numTimeouts]int64{
		pick(c.TCPFirstPacket, d.TCPFirstPacket), pick(c.TCPOpening, d.TCPOpening), pick(c.TCPEstablished, d.TCPEstablished),
		pick(c.TCPClosing, d.TCPClosing), pick(c.TCPFinWait, d.TCPFinWait), pick(c.TCPClosed, d.TCPClosed),
		pick(c.OtherFirst, d.OtherFirst), pick(c.OtherMultiple, d.OtherMultiple), pick(c.OtherBidir, d.OtherBidir),
		pick(c.ICMPFirst, d.ICMPFirst), pick(c.ICMPReply, d.ICMPReply),
	}
	zl := map[uint16]int{}
	for z, n := range cfg.ZoneLimits {
		zl[z] = n
	}
	t.zoneLimits.Store(&zl)
	var seed [12]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read does not fail
	t.natBasis.Store(binary.LittleEndian.Uint32(seed[:]))
	t.natRand.Store(binary.LittleEndian.Uint64(seed[4:]) | 1)
	if cfg.NATHashBasis != nil {
		t.natBasis.Store(*cfg.NATHashBasis)
	}
	for i := range t.shards {
		t.shards[i].idx = map[uint64]uint32{}
	}
	return t
}

// SetZoneLimit bounds zone to n entries; n <= 0 removes the limit.
func (t *Tracker) SetZoneLimit(zone uint16, n int) {
	for {
		old := t.zoneLimits.Load()
		m := make(map[uint16]int, len(*old)+1)
		for k, v := range *old {
			m[k] = v
		}
		if n > 0 {
			m[zone] = n
		} else {
			delete(m, zone)
		}
		if t.zoneLimits.CompareAndSwap(old, &m) {
			return
		}
	}
}

// Execute runs req on the packet pk at time now (unix ns): it looks the
// packet up in req.Zone, updates or (with req.Commit) creates the entry,
// and returns the packet's ct_state, zone, mark and label. It reads the
// frame only (a nat clause is ignored and counted: use ExecuteNAT); a
// frame it cannot track is +trk+inv. It never panics on a malformed frame
// and allocates nothing for a known connection.
func (t *Tracker) Execute(pk *packet.Packet, req *Request, now int64) Result {
	if req.NAT {
		t.nNAT.Add(1)
	}
	return t.run(pk, req, nil, now)
}

// ExecuteNAT is Execute for a ct() with the nat clause nat (nil: none):
// a committed new connection gets the translation nat asks for (when a
// unique reply tuple exists), and a packet of a NATed connection,
// including an ICMP error quoting one, is rewritten in place with its
// checksums updated and gets +snat or +dnat. A bare nat (neither Src nor
// Dst) only applies existing translations.
func (t *Tracker) ExecuteNAT(pk *packet.Packet, req *Request, nat *flowtable.NAT, now int64) Result {
	return t.run(pk, req, nat, now)
}

func (t *Tracker) run(pk *packet.Packet, req *Request, nat *flowtable.NAT, now int64) Result {
	zone := req.Zone
	// A packet already tracked in this zone (Open vSwitch keeps the
	// connection in the packet's metadata across recirculation) does not
	// run the state machine a second time.
	prev := uint32(0)
	if st := uint32(req.Prev.State); st&StateTrk != 0 && req.Prev.Zone == zone {
		prev = st
	}
	var p pkt
	parse(pk, &p, t.checksums)
	if !p.ok {
		t.nInvalid.Add(1)
		return Result{State: StateTrk | StateInv, Zone: zone}
	}
	p.t.zone = zone
	var (
		h     hit
		state uint32
		mark  uint32
		label packet.Label
		done  bool
	)
	// A packet a ct(nat) in this zone translated no longer carries either
	// tuple of its connection but the reverse of one (Open vSwitch
	// finds the connection in the packet's metadata).
	if prev&(StateSNAT|StateDNAT) != 0 && !p.related {
		state, mark, label, done = t.translated(&p, req, prev, now)
	}
	// A NATed connection lives in the NAT shard: look there first.
	if ns := &t.shards[natShard]; !done && t.natZone[zone].Load() > 0 {
		ns.mu.Lock()
		if now > ns.now {
			ns.now = now
		}
		if t.natFind(ns, &p, now) {
			state, mark, label = t.process(ns, req, &p, prev, zone, now, nat, &h)
			state |= t.translate(pk, &p, &h, nat)
			done = true
		}
		ns.mu.Unlock()
	}
	if !done {
		sh := &t.shards[p.t.shardHash()%shardCount]
		sh.mu.Lock()
		if now > sh.now {
			sh.now = now
		}
		state, mark, label = t.process(sh, req, &p, prev, zone, now, nat, &h)
		if !h.needNAT {
			state |= t.translate(pk, &p, &h, nat)
		}
		sh.mu.Unlock()
		if h.needNAT {
			// A new NATed connection is made in the NAT shard (locked
			// before any natural shard, never after).
			ns := &t.shards[natShard]
			ns.mu.Lock()
			h = hit{}
			state, mark, label = t.process(ns, req, &p, prev, zone, now, nat, &h)
			state |= t.translate(pk, &p, &h, nat)
			ns.mu.Unlock()
		}
	}
	if state&StateInv != 0 {
		t.nInvalid.Add(1)
	}
	return Result{State: uint8(state), Zone: zone, Mark: mark, Label: label}
}

// process does the lookup and update under the shard lock.
// It records in h the connection the packet belongs to, for translate.
func (t *Tracker) process(sh *shard, a *Request, p *pkt, prev uint32, zone uint16, now int64, nat *flowtable.NAT, h *hit) (uint32, uint32, packet.Label) {
	if p.related {
		// p.t is the quoted packet's tuple. A packet NATed on its way
		// out is quoted as translated: it is the reverse of the other
		// direction's tuple, and only such an error is translated back.
		i, d, ok := t.lookup(sh, &p.t, now)
		rev := false
		if !ok {
			r := p.t.reverse()
			if i, d, ok = t.lookup(sh, &r, now); ok {
				d, rev = 1-d, true
			}
		}
		if !ok {
			return StateTrk | StateInv, 0, packet.Label{}
		}
		c := sh.at(i)
		st := uint32(StateTrk | StateRel)
		if d == 0 {
			st |= StateRpl // the error travels against the quoted packet
		}
		if a.Commit {
			t.exec(c, a)
		}
		if rev {
			*h = hit{c: c, d: 1 - d, rel: true} // d: the direction the error travels
		}
		return st, c.mark, c.label
	}
	i, d, ok := t.lookup(sh, &p.t, now)
	if ok && !a.Force && prev&(StateNew|StateEst) != 0 && prev&StateInv == 0 && sameDir(prev, d) {
		// Second ct() on a packet already tracked in this zone: keep its
		// state (no second state-machine run), apply commit's exec.
		c := sh.at(i)
		if a.Commit {
			t.exec(c, a)
		}
		if prev&(StateSNAT|StateDNAT) == 0 {
			*h = hit{c: c, d: d} // not translated yet
		}
		return prev &^ (StateSNAT | StateDNAT), c.mark, c.label
	}
	if ok && a.Force && a.Commit && d == 1 {
		t.remove(sh, i)
		ok = false
	}
	if ok {
		c := sh.at(i)
		var res int
		if p.t.proto == protoTCP {
			res = t.tcpUpdate(c, p, d, now)
		} else {
			res = t.otherUpdate(c, p, d, now)
		}
		switch res {
		case updValid, updValidNew:
			st := uint32(StateTrk | StateEst)
			if res == updValidNew {
				st = StateTrk | StateNew
			}
			if d == 1 {
				st |= StateRpl
			}
			if a.Commit {
				t.exec(c, a)
			}
			*h = hit{c: c, d: d}
			return st, c.mark, c.label
		case updInvalid:
			return StateTrk | StateInv, c.mark, c.label
		case updNew:
			t.remove(sh, i) // port reuse after close: start anew
		}
	}
	if !t.validNew(p) {
		return StateTrk | StateInv, 0, packet.Label{}
	}
	st := uint32(StateTrk | StateNew)
	if !a.Commit {
		return st, 0, packet.Label{}
	}
	var c *conn
	if nat != nil && (nat.Src || nat.Dst) {
		if sh != &t.shards[natShard] {
			h.needNAT = true
			return st, 0, packet.Label{}
		}
		c = t.insertNAT(sh, p, zone, now, nat)
	} else {
		c = t.insert(sh, p, zone, now, nil)
	}
	if c == nil {
		return st, 0, packet.Label{}
	}
	t.nNew.Add(1)
	t.exec(c, a)
	*h = hit{c: c}
	return st, c.mark, c.label
}

// sameDir reports whether a packet whose previous ct() gave prev matched
// the connection in the same direction d.
func sameDir(prev uint32, d uint32) bool {
	return (prev&StateRpl != 0) == (d == 1)
}

// exec applies the mark and label a committing request sets to c.
func (t *Tracker) exec(c *conn, a *Request) {
	c.mark = c.mark&^a.MarkMask | a.Mark&a.MarkMask
	c.label = c.label.Set(a.Label, a.LabelMask)
}

// validNew reports whether a packet may create a connection.
func (t *Tracker) validNew(p *pkt) bool {
	switch p.t.proto {
	case protoTCP:
		return tcpValidNew(p.flags)
	case protoICMP, protoICMPv6:
		return icmpIsRequest(p.t.proto, uint8(p.t.dport>>8))
	}
	return true
}
