package tunnel

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Origin says where a route came from, as ovs/route/show labels it.
type Origin uint8

// Route origins.
const (
	// OriginUser is a static route (configuration, ovs/route/add).
	OriginUser Origin = iota
	// OriginKernel is a route read from the kernel (OVS's "Cached").
	OriginKernel
)

func (o Origin) String() string {
	if o == OriginKernel {
		return "Cached"
	}
	return "User"
}

// Route is one underlay route: packets to Dst leave through bridge Dev,
// to the next hop Gw (invalid for a connected route), with source Src.
type Route struct {
	Dst    netip.Prefix
	Dev    string
	Gw     netip.Addr
	Src    netip.Addr
	Origin Origin
}

// NextHop returns the address whose MAC the frame needs: Gw, or dst itself
// on a connected route.
func (r Route) NextHop(dst netip.Addr) netip.Addr {
	if r.Gw.IsValid() {
		return r.Gw
	}
	return dst.Unmap()
}

// String formats the route as one line of ovs/route/show.
func (r Route) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s dev %s", r.Origin, r.Dst, r.Dev)
	if r.Gw.IsValid() {
		fmt.Fprintf(&b, " GW %s", r.Gw)
	}
	if r.Src.IsValid() {
		fmt.Fprintf(&b, " SRC %s", r.Src)
	}
	return b.String()
}

// routeSet is one immutable snapshot: routes keyed by masked prefix, per
// family and prefix length, and the lengths present, longest first.
type routeSet struct {
	all []Route
	v4  family
	v6  family
}

type family struct {
	lens   []int
	byBits map[netip.Prefix]Route
}

func (f *family) lookup(a netip.Addr) (Route, bool) {
	for _, n := range f.lens {
		p, err := a.Prefix(n)
		if err != nil {
			continue
		}
		if r, ok := f.byBits[p]; ok {
			return r, true
		}
	}
	return Route{}, false
}

// Table is a longest-prefix-match route table for IPv4 and IPv6. Lookup
// reads an atomic snapshot, without locks or allocation; changes copy the
// table under a mutex and publish a new snapshot. The zero Table is empty
// and ready.
type Table struct {
	mu   sync.Mutex
	snap atomic.Pointer[routeSet]
}

// Lookup returns the route with the longest prefix holding dst (an
// IPv4-mapped IPv6 address counts as IPv4).
func (t *Table) Lookup(dst netip.Addr) (Route, bool) {
	s := t.snap.Load()
	if s == nil {
		return Route{}, false
	}
	dst = dst.Unmap()
	if dst.Is4() {
		return s.v4.lookup(dst)
	}
	return s.v6.lookup(dst)
}

// Routes returns the routes in ovs/route/show order: IPv4 before IPv6,
// longer prefixes first, then by address.
func (t *Table) Routes() []Route {
	s := t.snap.Load()
	if s == nil {
		return nil
	}
	return slices.Clone(s.all)
}

// Add inserts r, replacing a route of the same prefix. The prefix is
// masked; an invalid prefix, or a gateway or source of the other family,
// is an error.
func (t *Table) Add(r Route) error {
	if !r.Dst.IsValid() {
		return fmt.Errorf("tunnel: route %q: invalid prefix", r.Dst)
	}
	r.Dst = netip.PrefixFrom(r.Dst.Addr().Unmap(), r.Dst.Bits()).Masked()
	r.Gw, r.Src = r.Gw.Unmap(), r.Src.Unmap()
	is4 := r.Dst.Addr().Is4()
	if (r.Gw.IsValid() && r.Gw.Is4() != is4) || (r.Src.IsValid() && r.Src.Is4() != is4) {
		return fmt.Errorf("tunnel: route %s: gateway %s or source %s of another family", r.Dst, r.Gw, r.Src)
	}
	t.update(func(rs []Route) []Route {
		rs = slices.DeleteFunc(rs, func(o Route) bool { return o.Dst == r.Dst })
		return append(rs, r)
	})
	return nil
}

// Delete removes the route for prefix p and reports whether there was one.
func (t *Table) Delete(p netip.Prefix) bool {
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked()
	found := false
	t.update(func(rs []Route) []Route {
		return slices.DeleteFunc(rs, func(o Route) bool {
			if o.Dst == p {
				found = true
				return true
			}
			return false
		})
	})
	return found
}

// ReplaceOrigin replaces every route of origin o by routes (their Origin
// is set to o), in one snapshot: a kernel dump resynchronises this way.
// Invalid prefixes are skipped.
func (t *Table) ReplaceOrigin(o Origin, routes []Route) {
	t.update(func(rs []Route) []Route {
		rs = slices.DeleteFunc(rs, func(r Route) bool { return r.Origin == o })
		for _, r := range routes {
			if !r.Dst.IsValid() {
				continue
			}
			r.Origin = o
			r.Dst = netip.PrefixFrom(r.Dst.Addr().Unmap(), r.Dst.Bits()).Masked()
			rs = slices.DeleteFunc(rs, func(x Route) bool { return x.Dst == r.Dst })
			rs = append(rs, r)
		}
		return rs
	})
}

func (t *Table) update(edit func([]Route) []Route) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var cur []Route
	if s := t.snap.Load(); s != nil {
		cur = slices.Clone(s.all)
	}
	t.snap.Store(newRouteSet(edit(cur)))
}

func newRouteSet(rs []Route) *routeSet {
	slices.SortFunc(rs, func(a, b Route) int {
		if a4, b4 := a.Dst.Addr().Is4(), b.Dst.Addr().Is4(); a4 != b4 {
			if a4 {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Dst.Bits(), a.Dst.Bits()); c != 0 {
			return c
		}
		return a.Dst.Addr().Compare(b.Dst.Addr())
	})
	s := &routeSet{all: rs,
		v4: family{byBits: map[netip.Prefix]Route{}},
		v6: family{byBits: map[netip.Prefix]Route{}}}
	for _, r := range rs {
		f := &s.v6
		if r.Dst.Addr().Is4() {
			f = &s.v4
		}
		if _, dup := f.byBits[r.Dst]; !dup && !slices.Contains(f.lens, r.Dst.Bits()) {
			f.lens = append(f.lens, r.Dst.Bits())
		}
		f.byBits[r.Dst] = r
	}
	return s
}

// Show formats the table as ovs-appctl ovs/route/show does.
func (t *Table) Show() string {
	var b strings.Builder
	b.WriteString("Route Table:\n")
	for _, r := range t.Routes() {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}
