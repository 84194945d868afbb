// Package conntrack is gvs's connection tracker: the userspace equivalent
// of Open vSwitch's lib/conntrack that the datapath's ct() action runs.
//
// Connections are looked up by zone and 5-tuple (IPv4 and IPv6; TCP, UDP,
// ICMP/ICMPv6 echo id, other protocols by address pair). Only ct(commit)
// creates entries; every ct() updates the entry it finds (TCP state and
// sequence windows, UDP/ICMP replied state, expiry). ICMP errors whose
// quoted packet matches an entry are +rel. The entry keeps an original and
// a reply tuple so that NAT can make them differ later; NAT itself is not
// implemented yet (a nat clause is ignored and counted).
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
// Not done yet: NAT, ALGs (alg=ftp/tftp is ignored), and IP fragment
// reassembly (fragments are +inv; OVS reassembles valid ones first).
//
// The table is split into shards, each with its own mutex, index map and
// slab of entries: there is no global lock, and a packet of an existing
// connection allocates nothing. Both directions of a connection hash to the
// same shard (the shard hash is symmetric in source and destination).
package conntrack

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gvs-project/gvs/flowtable"
)

// ct_state bits, as flowtable prints them.
const (
	StateNew     = 0x01
	StateEst     = 0x02
	StateRel     = 0x04
	StateRpl     = 0x08
	StateInv     = 0x10
	StateTrk     = 0x20
	StateSNAT    = 0x40
	StateDNAT    = 0x80
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
}

// Tracker is a connection tracker. It implements datapath.Conntrack and
// is safe for concurrent use.
type Tracker struct {
	shards     [shardCount]shard
	max        int64
	zoneLimits atomic.Pointer[map[uint16]int]
	liberal    bool
	checksums  bool
	tmo        [numTimeouts]int64

	count     atomic.Int64
	zoneCount [65536]atomic.Int32

	nNew, nInvalid, nEarlyDrop, nLimitDrop, nNAT atomic.Uint64
	rotor                                        atomic.Uint32 // where makeRoom looks next

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
	label   flowtable.Value
	mark    uint32
	tcp     [2]peer
	kind    uint8 // other/ICMP state: first, multiple, bidir (reply seen)
	flags   uint8
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

var (
	fCTState = flowtable.FieldByID(flowtable.FieldCTState)
	fCTZone  = flowtable.FieldByID(flowtable.FieldCTZone)
	fCTMark  = flowtable.FieldByID(flowtable.FieldCTMark)
	fCTLabel = flowtable.FieldByID(flowtable.FieldCTLabel)
)

// Execute runs one ct action on frame (parsed into key): it looks the
// packet up in its zone, updates or (with commit) creates the entry, and
// sets ct_state, ct_zone, ct_mark and ct_label in key.
func (t *Tracker) Execute(a *flowtable.CT, frame []byte, key *flowtable.Key, now int64) {
	zone := a.Zone
	if a.ZoneSrc.Field != flowtable.FieldNone {
		zone = uint16(key.GetBits(flowtable.FieldByID(a.ZoneSrc.Field), a.ZoneSrc.Ofs, a.ZoneSrc.Bits).Lo)
	}
	if a.NAT != nil {
		t.nNAT.Add(1) // NAT is not implemented: the clause is ignored
	}
	// A packet already tracked in this zone (Open vSwitch keeps the
	// connection in the packet's metadata across recirculation) does not
	// run the state machine a second time.
	prev := uint32(0)
	if st := uint32(key.Get(fCTState).Lo); st&StateTrk != 0 && uint16(key.Get(fCTZone).Lo) == zone {
		prev = st
	}
	var p pkt
	parse(frame, &p, t.checksums)
	if !p.ok {
		t.nInvalid.Add(1)
		t.setKey(key, StateTrk|StateInv, zone, 0, flowtable.Value{})
		return
	}
	p.t.zone = zone
	sh := &t.shards[p.t.shardHash()%shardCount]
	sh.mu.Lock()
	if now > sh.now {
		sh.now = now
	}
	state, mark, label := t.process(sh, a, &p, prev, zone, now)
	sh.mu.Unlock()
	if state&StateInv != 0 {
		t.nInvalid.Add(1)
	}
	t.setKey(key, state, zone, mark, label)
}

func (t *Tracker) setKey(key *flowtable.Key, state uint32, zone uint16, mark uint32, label flowtable.Value) {
	key.Set(fCTState, flowtable.Value{Lo: uint64(state)})
	key.Set(fCTZone, flowtable.Value{Lo: uint64(zone)})
	key.Set(fCTMark, flowtable.Value{Lo: uint64(mark)})
	key.Set(fCTLabel, label)
}

// process does the lookup and update under the shard lock.
func (t *Tracker) process(sh *shard, a *flowtable.CT, p *pkt, prev uint32, zone uint16, now int64) (uint32, uint32, flowtable.Value) {
	if p.related {
		i, d, ok := t.lookup(sh, &p.t, now)
		if !ok {
			return StateTrk | StateInv, 0, flowtable.Value{}
		}
		c := sh.at(i)
		st := uint32(StateTrk | StateRel)
		if d == 0 {
			st |= StateRpl // the error travels against the quoted packet
		}
		if a.Commit {
			t.exec(c, a)
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
			return st, c.mark, c.label
		case updInvalid:
			return StateTrk | StateInv, c.mark, c.label
		case updNew:
			t.remove(sh, i) // port reuse after close: start anew
		}
	}
	if !t.validNew(p) {
		return StateTrk | StateInv, 0, flowtable.Value{}
	}
	st := uint32(StateTrk | StateNew)
	if !a.Commit {
		return st, 0, flowtable.Value{}
	}
	c := t.insert(sh, p, zone, now)
	if c == nil {
		return st, 0, flowtable.Value{}
	}
	t.nNew.Add(1)
	t.exec(c, a)
	return st, c.mark, c.label
}

// sameDir reports whether a packet whose previous ct() gave prev matched
// the connection in the same direction d.
func sameDir(prev uint32, d uint32) bool {
	return (prev&StateRpl != 0) == (d == 1)
}

// exec applies ct(commit,exec(set_field:...)) to c.
func (t *Tracker) exec(c *conn, a *flowtable.CT) {
	for _, e := range a.Exec {
		sf, ok := e.(flowtable.SetField)
		if !ok {
			continue
		}
		switch sf.Field {
		case flowtable.FieldCTMark:
			m := uint32(sf.Mask.Lo)
			c.mark = c.mark&^m | uint32(sf.Value.Lo)&m
		case flowtable.FieldCTLabel:
			c.label = flowtable.Value{
				Hi: c.label.Hi&^sf.Mask.Hi | sf.Value.Hi&sf.Mask.Hi,
				Lo: c.label.Lo&^sf.Mask.Lo | sf.Value.Lo&sf.Mask.Lo,
			}
		}
	}
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

// lookup finds the entry with tuple k: its index and the direction k
// matched. An expired entry is removed and not found.
func (t *Tracker) lookup(sh *shard, k *tuple, now int64) (uint32, uint32, bool) {
	ref, ok := sh.idx[k.hash()]
	for ok {
		i, d := ref>>1, ref&1
		c := sh.at(i)
		if c.t[d] == *k {
			if c.expires <= now {
				t.remove(sh, i)
				return 0, 0, false
			}
			return i, d, true
		}
		if c.next[d] == 0 {
			break
		}
		ref = c.next[d] - 1
	}
	return 0, 0, false
}

// insert creates an entry for p, making room by early drop when a limit is
// reached. It returns nil when there is no room.
func (t *Tracker) insert(sh *shard, p *pkt, zone uint16, now int64) *conn {
	zl := (*t.zoneLimits.Load())[zone]
	if full := t.count.Load() >= t.max; full || zl > 0 && int(t.zoneCount[zone].Load()) >= zl {
		if !t.makeRoom(sh, zone, !full, now) {
			t.nLimitDrop.Add(1)
			return nil
		}
	}
	var i uint32
	if n := len(sh.free); n > 0 {
		i = sh.free[n-1]
		sh.free = sh.free[:n-1]
	} else {
		i = uint32(len(sh.chunks)) * chunkSize
		sh.chunks = append(sh.chunks, new([chunkSize]conn))
		for j := uint32(chunkSize - 1); j > 0; j-- {
			sh.free = append(sh.free, i+j)
		}
	}
	c := sh.at(i)
	*c = conn{flags: flagUsed}
	c.t[0] = p.t
	c.t[1] = p.t.reverse()
	if p.t.proto == protoTCP {
		t.tcpNew(c, p, now)
	} else {
		c.kind = otherFirst
		if p.t.proto == protoICMP || p.t.proto == protoICMPv6 {
			c.expires = now + t.tmo[tmICMPFirst]
		} else {
			c.expires = now + t.tmo[tmOtherFirst]
		}
	}
	for d := 0; d < 2; d++ {
		h := c.t[d].hash()
		if head, ok := sh.idx[h]; ok {
			c.next[d] = head + 1
		}
		sh.idx[h] = i<<1 | uint32(d)
	}
	sh.n.Add(1)
	t.count.Add(1)
	t.zoneCount[zone].Add(1)
	return c
}

// makeRoom early-drops one entry: from sh (locked) first, then from up to
// eight other non-empty shards whose lock is free at once (TryLock: never wait for a second
// shard while holding one).
func (t *Tracker) makeRoom(sh *shard, zone uint16, zoneOnly bool, now int64) bool {
	if t.earlyDrop(sh, zone, zoneOnly, now) {
		return true
	}
	start := t.rotor.Add(1)
	tries := 0
	for k := uint32(0); k < shardCount && tries < 8; k++ {
		o := &t.shards[(start+k)*61%shardCount]
		if o == sh || o.n.Load() == 0 {
			continue
		}
		tries++
		if !o.mu.TryLock() {
			continue
		}
		ok := t.earlyDrop(o, zone, zoneOnly, now)
		o.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// earlyDrop evicts one unreplied entry of the shard (of zone, when only the
// zone is full), scanning a bounded number of slots from a moving cursor;
// expired entries go first.
func (t *Tracker) earlyDrop(sh *shard, zone uint16, zoneOnly bool, now int64) bool {
	total := uint32(len(sh.chunks)) * chunkSize
	if total == 0 {
		return false
	}
	for k := 0; k < evictScan; k++ {
		i := sh.cursor % total
		sh.cursor++
		c := sh.at(i)
		if c.flags&flagUsed == 0 || zoneOnly && c.t[0].zone != zone {
			continue
		}
		if c.expires <= now || c.flags&flagReply == 0 {
			t.remove(sh, i)
			t.nEarlyDrop.Add(1)
			return true
		}
	}
	return false
}

// remove deletes entry i from its shard's index and frees it.
func (t *Tracker) remove(sh *shard, i uint32) {
	c := sh.at(i)
	for d := uint32(0); d < 2; d++ {
		h := c.t[d].hash()
		me := i<<1 | d
		ref, ok := sh.idx[h]
		if !ok {
			continue
		}
		if ref == me {
			if c.next[d] == 0 {
				delete(sh.idx, h)
			} else {
				sh.idx[h] = c.next[d] - 1
			}
			continue
		}
		for {
			pc := sh.at(ref >> 1)
			pd := ref & 1
			if pc.next[pd] == 0 {
				break
			}
			nref := pc.next[pd] - 1
			if nref == me {
				pc.next[pd] = c.next[d]
				break
			}
			ref = nref
		}
	}
	zone := c.t[0].zone
	*c = conn{}
	sh.free = append(sh.free, i)
	sh.n.Add(-1)
	t.count.Add(-1)
	t.zoneCount[zone].Add(-1)
}

// Sweep removes every entry expired at now (unix ns) and returns how many.
func (t *Tracker) Sweep(now int64) int {
	n := 0
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		if now > sh.now {
			sh.now = now
		}
		for ci, ch := range sh.chunks {
			for j := range ch {
				c := &ch[j]
				if c.flags&flagUsed != 0 && c.expires <= now {
					t.remove(sh, uint32(ci*chunkSize+j))
					n++
				}
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// Start sweeps expired entries every interval in a goroutine until Close.
func (t *Tracker) Start(interval time.Duration) {
	t.once.Do(func() {
		t.stop = make(chan struct{})
		t.done.Add(1)
		go func() {
			defer t.done.Done()
			tk := time.NewTicker(interval)
			defer tk.Stop()
			for {
				select {
				case <-t.stop:
					return
				case now := <-tk.C:
					t.Sweep(now.UnixNano())
				}
			}
		}()
	})
}

// Close stops the background sweeper started by Start.
func (t *Tracker) Close() {
	if t.stop != nil {
		select {
		case <-t.stop:
		default:
			close(t.stop)
		}
		t.done.Wait()
	}
}

// Flush deletes every entry, or those of one zone.
func (t *Tracker) Flush(zone *uint16) int {
	n := 0
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		for ci, ch := range sh.chunks {
			for j := range ch {
				c := &ch[j]
				if c.flags&flagUsed != 0 && (zone == nil || c.t[0].zone == *zone) {
					t.remove(sh, uint32(ci*chunkSize+j))
					n++
				}
			}
		}
		sh.mu.Unlock()
	}
	return n
}

// Stats are the tracker's counters.
type Stats struct {
	Entries     int64
	New         uint64 // entries committed
	Invalid     uint64 // packets found +inv
	EarlyDrop   uint64 // unreplied (or expired) entries evicted to make room
	LimitDrop   uint64 // commits refused because the table or zone was full
	NATIgnored  uint64 // ct actions with a nat clause (NAT is not implemented)
	ZoneEntries map[uint16]int64
}

// Stats returns the counters and the number of entries per zone (zones
// with entries only).
func (t *Tracker) Stats() Stats {
	s := Stats{
		Entries: t.count.Load(), New: t.nNew.Load(), Invalid: t.nInvalid.Load(),
		EarlyDrop: t.nEarlyDrop.Load(), LimitDrop: t.nLimitDrop.Load(), NATIgnored: t.nNAT.Load(),
		ZoneEntries: map[uint16]int64{},
	}
	for z := range t.zoneCount {
		if n := t.zoneCount[z].Load(); n > 0 {
			s.ZoneEntries[uint16(z)] = int64(n)
		}
	}
	return s
}

// Len returns the number of entries.
func (t *Tracker) Len() int { return int(t.count.Load()) }
