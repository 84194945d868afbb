package openflow

import (
	"fmt"
	"net/netip"

	"github.com/gvs-project/gvs/flowtable"
)

// NXAST_NAT: it travels inside NXAST_CT's nested actions.
const nxNAT = 36

// NAT flags and the range_present bits that say which range parts follow.
const (
	natSrc        = 1
	natDst        = 2
	natPersistent = 4
	natHash       = 8
	natRandom     = 16

	natIPv4Min  = 1
	natIPv4Max  = 2
	natIPv6Min  = 4
	natIPv6Max  = 8
	natProtoMin = 16
	natProtoMax = 32
)

// appendNAT appends NXAST_NAT for n. Like Open vSwitch it sends a range's
// maximum only when it differs from the minimum.
func appendNAT(b []byte, n *flowtable.NAT) []byte {
	b, s := nxStart(b, nxNAT)
	var flags, present uint16
	for _, f := range []struct {
		on  bool
		bit uint16
	}{{n.Src, natSrc}, {n.Dst, natDst}, {n.Persistent, natPersistent}, {n.Hash, natHash}, {n.Random, natRandom}} {
		if f.on {
			flags |= f.bit
		}
	}
	var body []byte
	if n.AddrMin.IsValid() {
		min, max := uint16(natIPv4Min), uint16(natIPv4Max)
		if n.AddrMin.Is6() {
			min, max = natIPv6Min, natIPv6Max
		}
		present |= min
		body = append(body, n.AddrMin.AsSlice()...)
		if n.AddrMax.IsValid() && n.AddrMax != n.AddrMin {
			present |= max
			body = append(body, n.AddrMax.AsSlice()...)
		}
	}
	if n.PortMin != 0 {
		present |= natProtoMin
		body = append(body, be16(n.PortMin)...)
		if n.PortMax != 0 && n.PortMax != n.PortMin {
			present |= natProtoMax
			body = append(body, be16(n.PortMax)...)
		}
	}
	b = append(b, 0, 0)
	b = append(b, be16(flags)...)
	b = append(b, be16(present)...)
	b = append(b, body...)
	return nxEnd(b, s, 16)
}

// parseNAT decodes the NXAST_NAT action a (length already checked).
func parseNAT(a []byte) (*flowtable.NAT, error) {
	if len(a) < 16 {
		return nil, fmt.Errorf("nat action of %d bytes", len(a))
	}
	flags, present := u16(a[12:]), u16(a[14:])
	if flags&^31 != 0 || present&^63 != 0 || flags&(natSrc|natDst) == natSrc|natDst ||
		flags&(natHash|natRandom) == natHash|natRandom {
		return nil, fmt.Errorf("nat flags %#x, range %#x not supported", flags, present)
	}
	n := &flowtable.NAT{Src: flags&natSrc != 0, Dst: flags&natDst != 0,
		Persistent: flags&natPersistent != 0, Hash: flags&natHash != 0, Random: flags&natRandom != 0}
	p := a[16:]
	take := func(k int) ([]byte, error) {
		if len(p) < k {
			return nil, fmt.Errorf("nat range: %w", ErrShort)
		}
		v := p[:k]
		p = p[k:]
		return v, nil
	}
	addr := func(minBit, maxBit uint16, k int) error {
		if present&minBit == 0 {
			if present&maxBit != 0 {
				return fmt.Errorf("nat range has a maximum but no minimum")
			}
			return nil
		}
		v, err := take(k)
		if err != nil {
			return err
		}
		n.AddrMin, _ = netip.AddrFromSlice(v)
		n.AddrMax = n.AddrMin
		if present&maxBit != 0 {
			if v, err = take(k); err != nil {
				return err
			}
			n.AddrMax, _ = netip.AddrFromSlice(v)
			if n.AddrMax.Less(n.AddrMin) {
				return fmt.Errorf("nat address range %v-%v is backwards", n.AddrMin, n.AddrMax)
			}
		}
		return nil
	}
	if present&(natIPv4Min|natIPv4Max) != 0 && present&(natIPv6Min|natIPv6Max) != 0 {
		return nil, fmt.Errorf("nat range has both IPv4 and IPv6 addresses")
	}
	if err := addr(natIPv4Min, natIPv4Max, 4); err != nil {
		return nil, err
	}
	if err := addr(natIPv6Min, natIPv6Max, 16); err != nil {
		return nil, err
	}
	if present&natProtoMin != 0 {
		v, err := take(2)
		if err != nil {
			return nil, err
		}
		n.PortMin, n.PortMax = u16(v), u16(v)
		if present&natProtoMax != 0 {
			if v, err = take(2); err != nil {
				return nil, err
			}
			n.PortMax = u16(v)
		}
		if n.PortMin == 0 || n.PortMax < n.PortMin {
			return nil, fmt.Errorf("nat port range %d-%d", n.PortMin, n.PortMax)
		}
	} else if present&natProtoMax != 0 {
		return nil, fmt.Errorf("nat range has a maximum port but no minimum")
	}
	if !n.Src && !n.Dst && present != 0 {
		return nil, fmt.Errorf("nat range without src or dst")
	}
	return n, nil
}
