package conntrack

import "time"

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
// The reply tuple is reply, or p's tuple reversed when reply is nil.
func (t *Tracker) insert(sh *shard, p *pkt, zone uint16, now int64, reply *tuple) *conn {
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
	if reply != nil {
		c.t[1] = *reply
	}
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
	if sh == &t.shards[natShard] {
		t.natZone[zone].Add(1)
	}
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
	if c.nat != 0 {
		t.nNATConns.Add(^uint64(0))
	}
	*c = conn{}
	sh.free = append(sh.free, i)
	sh.n.Add(-1)
	t.count.Add(-1)
	t.zoneCount[zone].Add(-1)
	if sh == &t.shards[natShard] {
		t.natZone[zone].Add(-1)
	}
}

// Sweep removes every entry expired at now (unix ns) and returns how many.
func (t *Tracker) Sweep(now int64) int {
	return t.removeWhere(now, func(c *conn) bool { return c.expires <= now })
}

// removeWhere deletes every entry for which gone reports true, one shard at
// a time under its lock, and returns how many. It first advances each
// shard's clock to now (0 leaves the clocks alone).
func (t *Tracker) removeWhere(now int64, gone func(c *conn) bool) int {
	n := 0
	for s := range t.shards {
		sh := &t.shards[s]
		sh.mu.Lock()
		if now > sh.now {
			sh.now = now
		}
		for ci, ch := range sh.chunks {
			for j := range ch {
				if c := &ch[j]; c.flags&flagUsed != 0 && gone(c) {
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

// Flush deletes every entry, or those of one zone, and returns how many.
func (t *Tracker) Flush(zone *uint16) int {
	return t.removeWhere(0, func(c *conn) bool { return zone == nil || c.t[0].zone == *zone })
}

// Stats are the tracker's counters.
type Stats struct {
	Entries      int64
	New          uint64 // entries committed
	Invalid      uint64 // packets found +inv
	EarlyDrop    uint64 // unreplied (or expired) entries evicted to make room
	LimitDrop    uint64 // commits refused because the table or zone was full
	NATIgnored   uint64 // ct actions with a nat clause run through Execute, not ExecuteNAT
	NATExhausted uint64 // NAT commits refused: no unique reply tuple was left
	NATEntries   uint64 // entries with a translation
	ZoneEntries  map[uint16]int64
}

// Stats returns the counters and the number of entries per zone (zones
// with entries only).
func (t *Tracker) Stats() Stats {
	s := Stats{
		Entries: t.count.Load(), New: t.nNew.Load(), Invalid: t.nInvalid.Load(),
		EarlyDrop: t.nEarlyDrop.Load(), LimitDrop: t.nLimitDrop.Load(), NATIgnored: t.nNAT.Load(),
		NATExhausted: t.nNATExhausted.Load(), NATEntries: t.nNATConns.Load(),
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
