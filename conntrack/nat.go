package conntrack

import (
	"net/netip"

	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// NAT, as Open vSwitch 3.1's userspace conntrack does it
// (nat_get_unique_tuple and its helpers in lib/conntrack.c):
//
//   - nat(src=...) rewrites the reply tuple's destination, nat(dst=...) its
//     source; the original tuple stays what the first packet carried.
//   - The address is drawn from the range by a hash of the original tuple,
//     the range and a basis (Config.NATHashBasis), or at random with the
//     random flag; on collision the next address is tried, wrapping, up to
//     maxNATAddrs addresses.
//   - TCP and UDP: without a port range the original port is kept when it
//     is free; when it is not (SNAT only), the ports after it in its class
//     (1-511, 600-1023, 1024-65535) are tried (checked against Open
//     vSwitch 3.1: 40000 taken gives 40001). With a range the port starts
//     from the hash. Ports are probed in order, wrapping, up to
//     maxNATPorts of them per address.
//   - Other protocols translate the address only.
//   - A connection that gets no unique reply tuple is not created (the
//     packet stays +new, untranslated) and Stats.NATExhausted counts it.
//   - persistent is accepted and has no effect, as in Open vSwitch's
//     userspace datapath.
//
// Where gvs differs: ICMP echo ids. Open vSwitch keeps the id, so two
// hosts behind one SNAT address pinging one target with the same id
// collide and the second is refused; gvs does what Linux does and, only
// when the original id is taken, draws another id (from the port range
// when given, else from all ids) and translates it both ways.
//
// Both tuples of a NATed connection need not hash to one natural shard,
// so NATed connections live in one extra shard, shards[natShard], which
// every lookup in a zone tries first while it holds an entry of that zone
// (zones without NAT never touch its lock). Its lock is taken
// before a natural shard's, never after.

const (
	natShard    = shardCount
	maxNATAddrs = 256
	maxNATPorts = 128
)

// conn.nat bits.
const (
	natSrc = 1
	natDst = 2
)

// SetNATHashBasis fixes the basis of the hash that chooses NAT addresses
// and ports (gvsd replay sets one so that a replay picks the same ports on
// every run). It applies to connections created after the call.
func (t *Tracker) SetNATHashBasis(b uint32) { t.natBasis.Store(b) }

// hit is the connection process found or made for a packet, for
// translate: c (nil: none), the direction d, whether the packet is a
// related ICMP error, and needNAT when a NATed connection must be made in
// the NAT shard.
type hit struct {
	c       *conn
	d       uint32
	rel     bool
	needNAT bool
}

// insertNAT creates p's connection in the NAT shard sh (locked) with the
// translation nat asks for, or returns nil (counted) when no unique reply
// tuple is left or there is no room.
func (t *Tracker) insertNAT(sh *shard, p *pkt, zone uint16, now int64, nat *flowtable.NAT) *conn {
	r, ok := t.natTuple(sh, &p.t, nat, now)
	if !ok {
		t.nNATExhausted.Add(1)
		return nil
	}
	c := t.insert(sh, p, zone, now, &r)
	if c == nil {
		return nil
	}
	if nat.Src {
		c.nat = natSrc
	} else {
		c.nat = natDst
	}
	if r == p.t.reverse() {
		c.nat = 0 // the translation changed nothing (the address is the packet's own)
	} else {
		t.nNATConns.Add(1)
	}
	return c
}

// natTuple chooses the reply tuple of the new connection with original
// tuple o. ns is the NAT shard, locked.
func (t *Tracker) natTuple(ns *shard, o *tuple, nat *flowtable.NAT, now int64) (tuple, bool) {
	lo, hi, ok := natAddrRange(o, nat)
	if !ok {
		return tuple{}, false
	}
	var h uint32
	if nat.Random {
		h = t.random()
	} else {
		h = natHash(o, nat, t.natBasis.Load())
	}
	n := hi - lo + 1 // 0: the whole 64-bit space
	nAddr := uint64(maxNATAddrs)
	if n != 0 && n < nAddr {
		nAddr = n
	}
	start := uint64(h)
	if n != 0 {
		start %= n
	}
	r := o.reverse()
	pat := o.proto == protoTCP || o.proto == protoUDP
	icmp := o.proto == protoICMP || o.proto == protoICMPv6
	for k := uint64(0); k < nAddr; k++ {
		a := lo + start + k
		if n != 0 {
			a = lo + (start+k)%n
		}
		if nat.Src {
			r.dst[1] = a
			if o.v6 {
				r.dst[0] = o.natHigh(nat)
			}
		} else {
			r.src[1] = a
			if o.v6 {
				r.src[0] = o.natHigh(nat)
			}
		}
		switch {
		case pat && nat.Src:
			if t.probePorts(ns, &r, &r.dport, o.sport, nat, h, true, now) {
				return r, true
			}
		case pat && nat.Dst:
			if t.probePorts(ns, &r, &r.sport, o.dport, nat, h, false, now) {
				return r, true
			}
		case icmp && nat.Src:
			if t.probeICMP(ns, &r, o.sport, nat, h, now) {
				return r, true
			}
		default:
			if !t.taken(ns, &r, now) {
				return r, true
			}
		}
	}
	return tuple{}, false
}

// probePorts tries ports for the translated side of r (*port) and reports
// whether one leaves r unique. orig is the packet's own port.
func (t *Tracker) probePorts(ns *shard, r *tuple, port *uint16, orig uint16, nat *flowtable.NAT, h uint32, snat bool, now int64) bool {
	lo, hi := nat.PortMin, nat.PortMax
	fixed := lo == 0
	if fixed {
		*port = orig
		if !t.taken(ns, r, now) {
			return true
		}
		if !snat {
			return false // DNAT without a port range keeps the port
		}
		switch {
		case orig < 512:
			lo, hi = 1, 511
		case orig < 1024:
			lo, hi = 600, 1023
		default:
			lo, hi = 1024, 65535
		}
	}
	if hi < lo {
		hi = lo
	}
	n := uint32(hi-lo) + 1
	start := h % n
	if fixed && orig >= lo && orig <= hi {
		start = uint32(orig-lo) + 1 // the ports after the packet's own, as Open vSwitch 3.1 probes
	}
	for k := uint32(0); k < n && k < maxNATPorts; k++ {
		*port = lo + uint16((start+k)%n)
		if !t.taken(ns, r, now) {
			return true
		}
	}
	return false
}

// probeICMP keeps the echo id when it is free and else draws one, the way
// Linux does (Open vSwitch keeps it and fails).
func (t *Tracker) probeICMP(ns *shard, r *tuple, id uint16, nat *flowtable.NAT, h uint32, now int64) bool {
	r.sport = id
	if !t.taken(ns, r, now) {
		return true
	}
	lo, hi := uint16(0), uint16(65535)
	if nat.PortMin != 0 {
		lo, hi = nat.PortMin, max(nat.PortMax, nat.PortMin)
	}
	n := uint32(hi-lo) + 1
	start := h % n
	for k := uint32(0); k < n && k < maxNATPorts; k++ {
		r.sport = lo + uint16((start+k)%n)
		if !t.taken(ns, r, now) {
			return true
		}
	}
	return false
}

// taken reports whether some connection already has tuple k in either
// direction: in the NAT shard ns (locked) or in k's natural shard, which
// it locks for the look.
func (t *Tracker) taken(ns *shard, k *tuple, now int64) bool {
	if _, _, ok := t.lookup(ns, k, now); ok {
		return true
	}
	sh := &t.shards[k.shardHash()%shardCount]
	sh.mu.Lock()
	_, _, ok := t.lookup(sh, k, now)
	sh.mu.Unlock()
	return ok
}

// natAddrRange is the range of addresses nat allows for o, as the low 64
// bits (IPv6 ranges vary in those only); without an address the
// packet's own address on the translated side. It fails for an address of
// the other IP version.
func natAddrRange(o *tuple, nat *flowtable.NAT) (lo, hi uint64, ok bool) {
	if !nat.AddrMin.IsValid() {
		if nat.Src {
			return o.src[1], o.src[1], true
		}
		return o.dst[1], o.dst[1], true
	}
	if nat.AddrMin.Is4() == o.v6 {
		return 0, 0, false
	}
	lo = addrLow(nat.AddrMin)
	hi = lo
	if nat.AddrMax.IsValid() && nat.AddrMax.Is4() == nat.AddrMin.Is4() {
		hi = addrLow(nat.AddrMax)
		if o.v6 && addrHigh(nat.AddrMax) != addrHigh(nat.AddrMin) {
			hi = ^uint64(0) // ranges across a /64 boundary stay in the first
		}
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi, true
}

// natHigh is the high 64 bits of the translated IPv6 address.
func (o *tuple) natHigh(nat *flowtable.NAT) uint64 {
	if !nat.AddrMin.IsValid() {
		if nat.Src {
			return o.src[0]
		}
		return o.dst[0]
	}
	return addrHigh(nat.AddrMin)
}

func addrLow(a netip.Addr) uint64 {
	b := a.As16()
	if a.Is4() {
		return uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	}
	var v uint64
	for _, x := range b[8:] {
		v = v<<8 | uint64(x)
	}
	return v
}

func addrHigh(a netip.Addr) uint64 {
	if a.Is4() {
		return 0
	}
	b := a.As16()
	var v uint64
	for _, x := range b[:8] {
		v = v<<8 | uint64(x)
	}
	return v
}

// natHash hashes the original tuple, the range and basis: the start of
// the address and port search (Open vSwitch's nat_range_hash hashes the
// same things).
func natHash(o *tuple, nat *flowtable.NAT, basis uint32) uint32 {
	h := uint64(m1) ^ uint64(basis)
	h = mix(h, o.src[0])
	h = mix(h, o.src[1])
	h = mix(h, o.dst[0])
	h = mix(h, o.dst[1])
	h = mix(h, uint64(o.sport)<<48|uint64(o.dport)<<32|uint64(o.zone)<<16|uint64(o.proto))
	h = mix(h, addrLow(nat.AddrMin)^addrLow(nat.AddrMax)<<1)
	h = mix(h, uint64(nat.PortMin)<<16|uint64(nat.PortMax))
	return uint32(h ^ h>>32)
}

// random is a xorshift generator for nat(random): cheap, lock-free, and
// not for secrets.
func (t *Tracker) random() uint32 {
	for {
		old := t.natRand.Load()
		x := old
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		if t.natRand.CompareAndSwap(old, x) {
			return uint32(x >> 16)
		}
	}
}

// natFind reports whether the packet p belongs to a connection of the NAT
// shard ns (locked): by its tuple, or for an ICMP error by the quoted
// tuple or its reverse.
func (t *Tracker) natFind(ns *shard, p *pkt, now int64) bool {
	if _, _, ok := t.lookup(ns, &p.t, now); ok {
		return true
	}
	if !p.related {
		return false
	}
	r := p.t.reverse()
	_, _, ok := t.lookup(ns, &r, now)
	return ok
}

// translated handles a later ct() in the same zone on a packet an earlier
// ct(nat) translated: it finds the connection by the packet's tuple
// reversed, applies a commit's mark and label, and keeps the earlier
// state as a second ct() does. done is false when there is no such
// connection (any more).
func (t *Tracker) translated(p *pkt, a *Request, prev uint32, now int64) (st, mark uint32, label packet.Label, done bool) {
	ns := &t.shards[natShard]
	r := p.t.reverse()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	i, _, ok := t.lookup(ns, &r, now)
	if !ok {
		return 0, 0, packet.Label{}, false
	}
	c := ns.at(i)
	if a.Commit {
		t.exec(c, a)
	}
	return prev &^ (StateSNAT | StateDNAT), c.mark, c.label, true
}
