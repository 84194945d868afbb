package tunnel

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// KernelRoutes dumps the kernel's main routing table, IPv4 and IPv6,
// as OriginKernel routes, through h (nil: the current network namespace).
// Dev is the interface name; routes that are not unicast, or whose device
// cannot be named, are left out.
func KernelRoutes(h *netlink.Handle) ([]Route, error) {
	if h == nil {
		h = &netlink.Handle{}
	}
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
	nl, err := h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("tunnel: dumping kernel routes: %w", err)
	}
	names := map[int]string{}
	name := func(i int) string {
		if n, ok := names[i]; ok {
			return n
		}
		n := ""
		if l, err := h.LinkByIndex(i); err == nil {
			n = l.Attrs().Name
		}
		names[i] = n
		return n
	}
	out := make([]Route, 0, len(nl))
	for _, r := range nl {
		if rt, ok := fromNetlink(r, name); ok {
			out = append(out, rt)
		}
	}
	return out, nil
}

// fromNetlink converts one kernel route, naming its device with name; the
// first next hop of a multipath route stands for it.
func fromNetlink(r netlink.Route, name func(int) string) (Route, bool) {
	if r.Type != 0 && r.Type != unix.RTN_UNICAST {
		return Route{}, false
	}
	var dst netip.Prefix
	if r.Dst == nil {
		switch r.Family {
		case netlink.FAMILY_V4:
			dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		case netlink.FAMILY_V6:
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		default:
			return Route{}, false
		}
	} else {
		a, ok := netip.AddrFromSlice(r.Dst.IP)
		ones, _ := r.Dst.Mask.Size()
		if !ok {
			return Route{}, false
		}
		a = a.Unmap()
		if a.Is4() && ones > 32 {
			ones -= 96
		}
		dst = netip.PrefixFrom(a, ones).Masked()
		if !dst.IsValid() {
			return Route{}, false
		}
	}
	link, gw := r.LinkIndex, r.Gw
	if len(r.MultiPath) > 0 && r.MultiPath[0] != nil {
		link, gw = r.MultiPath[0].LinkIndex, r.MultiPath[0].Gw
	}
	dev := name(link)
	if dev == "" {
		return Route{}, false
	}
	return Route{Dst: dst, Dev: dev, Gw: addrOf(gw), Src: addrOf(r.Src), Origin: OriginKernel}, true
}

func addrOf(ip net.IP) netip.Addr {
	if len(ip) == 0 {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// WatchKernel loads the kernel's routes into t (as OriginKernel, leaving
// static routes alone) and keeps them in step: on every route change it
// subscribes to, it dumps again and replaces them in one snapshot. ns
// names the network namespace (nil: the current one). It returns after
// the first load, and stops following when ctx ends; errors after the
// first load go to onErr (which may be nil), never after ctx ends.
func WatchKernel(ctx context.Context, t *Table, ns *netns.NsHandle, onErr func(error)) error {
	h := &netlink.Handle{}
	opts := netlink.RouteSubscribeOptions{}
	if ns != nil {
		var err error
		if h, err = netlink.NewHandleAt(*ns); err != nil {
			return fmt.Errorf("tunnel: netlink handle in namespace: %w", err)
		}
		opts.Namespace = ns
	}
	updates := make(chan netlink.RouteUpdate, 64)
	done := make(chan struct{})
	report := func(err error) {
		// netlink's reader may still fail while closing after ctx ends.
		if onErr != nil && err != nil && ctx.Err() == nil {
			onErr(err)
		}
	}
	opts.ErrorCallback = report
	if err := netlink.RouteSubscribeWithOptions(updates, done, opts); err != nil {
		close(done)
		h.Close()
		return fmt.Errorf("tunnel: subscribing to kernel routes: %w", err)
	}
	rs, err := KernelRoutes(h)
	if err != nil {
		close(done)
		h.Close()
		return err
	}
	t.ReplaceOrigin(OriginKernel, rs)
	go func() {
		defer h.Close()
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-updates:
				if !ok {
					return
				}
				// Coalesce a burst of changes into one dump.
				for drained := false; !drained; {
					select {
					case _, ok := <-updates:
						if !ok {
							return
						}
					default:
						drained = true
					}
				}
				rs, err := KernelRoutes(h)
				if err != nil {
					report(err)
					continue
				}
				t.ReplaceOrigin(OriginKernel, rs)
			}
		}
	}()
	return nil
}
