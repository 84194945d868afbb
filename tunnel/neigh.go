package tunnel

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gvs-project/gvs/datapath/header"
)

// DefaultAging is how long a learned neighbour lives, OVS's tnl/neigh/aging default.
const DefaultAging = 900 * time.Second

// Neighbor is one neighbour cache entry: IP's MAC as seen on bridge Dev.
type Neighbor struct {
	IP     netip.Addr
	MAC    header.MAC
	Dev    string
	Static bool
	// Expires is when a learned entry stops answering; zero for static ones.
	Expires time.Time
}

// Cache is the tunnel neighbour cache (OVS's tnl-neigh-cache): next-hop
// IP to MAC, learned from ARP and ND seen on underlay bridges, or static.
// Lookup takes a read lock and allocates nothing. Create it with NewCache.
type Cache struct {
	mu    sync.RWMutex
	m     map[netip.Addr]Neighbor
	aging time.Duration
}

// NewCache returns an empty cache whose learned entries live aging
// (DefaultAging if aging <= 0).
func NewCache(aging time.Duration) *Cache {
	if aging <= 0 {
		aging = DefaultAging
	}
	return &Cache{m: map[netip.Addr]Neighbor{}, aging: aging}
}

// Lookup returns the live entry for ip (an IPv4-mapped address counts as IPv4).
func (c *Cache) Lookup(ip netip.Addr, now time.Time) (Neighbor, bool) {
	c.mu.RLock()
	n, ok := c.m[ip.Unmap()]
	c.mu.RUnlock()
	if !ok || (!n.Static && !now.Before(n.Expires)) {
		return Neighbor{}, false
	}
	return n, true
}

// Set adds a static entry (tnl/neigh/set, configuration), replacing any entry for ip.
func (c *Cache) Set(ip netip.Addr, mac header.MAC, dev string) {
	c.mu.Lock()
	c.m[ip.Unmap()] = Neighbor{IP: ip.Unmap(), MAC: mac, Dev: dev, Static: true}
	c.mu.Unlock()
}

// Insert records a learned entry expiring after the cache's aging. It
// does not override a static entry; it reports whether it stored.
func (c *Cache) Insert(ip netip.Addr, mac header.MAC, dev string, now time.Time) bool {
	ip = ip.Unmap()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[ip]; ok && old.Static {
		return false
	}
	c.m[ip] = Neighbor{IP: ip, MAC: mac, Dev: dev, Expires: now.Add(c.aging)}
	return true
}

// Learn snoops frame, as received on bridge dev: an ARP request or reply
// teaches its sender's address and MAC, an ND neighbour advertisement its
// target and target link-layer address. It returns the address learned.
func (c *Cache) Learn(frame []byte, dev string, now time.Time) (netip.Addr, bool) {
	ip, mac, ok := ParseNeighbor(frame)
	if !ok || !c.Insert(ip, mac, dev, now) {
		return netip.Addr{}, false
	}
	return ip, true
}

// Delete removes the entry for ip and reports whether there was one.
func (c *Cache) Delete(ip netip.Addr) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[ip.Unmap()]
	delete(c.m, ip.Unmap())
	return ok
}

// Flush removes every entry, static ones too, as OVS 3.1's tnl/neigh/flush.
func (c *Cache) Flush() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// Expire removes learned entries dead at now and returns how many.
func (c *Cache) Expire(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for ip, e := range c.m {
		if !e.Static && !now.Before(e.Expires) {
			delete(c.m, ip)
			n++
		}
	}
	return n
}

// Neighbors returns the entries live at now, IPv4 first, by address.
func (c *Cache) Neighbors(now time.Time) []Neighbor {
	c.mu.RLock()
	out := make([]Neighbor, 0, len(c.m))
	for _, e := range c.m {
		if e.Static || now.Before(e.Expires) {
			out = append(out, e)
		}
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b Neighbor) int { return a.IP.Compare(b.IP) })
	return out
}

// Show formats the live entries as ovs-appctl tnl/neigh/show does.
func (c *Cache) Show(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-45s %-19s %s\n", "IP", "MAC", "Bridge")
	b.WriteString(strings.Repeat("=", 74) + "\n")
	for _, e := range c.Neighbors(now) {
		fmt.Fprintf(&b, "%-45s %-19s %s\n", e.IP, e.MAC, e.Dev)
	}
	return b.String()
}
