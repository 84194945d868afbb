package flowtable

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// value parses a field value in the field's format, with an optional /mask
// where allowMask and the field permits it. The returned mask is in value
// terms (FullMask for an exact match).
func (p *parser) value(f *Field, s string, col int, allowMask bool) (v, mask Value, err error) {
	full := f.FullMask()
	switch f.Format {
	case FormatPort:
		n, err := p.port(s, col)
		return Value{Lo: uint64(n)}, full, err
	case FormatCTState:
		return p.flagsValue(f, s, col, ctStateFlags)
	case FormatTCPFlags:
		return p.flagsValue(f, s, col, tcpFlagNames)
	case FormatFrag:
		fv, fm, ok := parseFrag(s)
		if !ok {
			return v, mask, p.errAt(col, s, "bad nw_frag %q (want no, yes, first, later or not_later)", s)
		}
		return Value{Lo: fv}, Value{Lo: fm}, nil
	}
	vs, ms, hasMask := strings.Cut(s, "/")
	if hasMask && (!allowMask || !f.Maskable) {
		return v, mask, p.errAt(col, s, "field %s does not support masking", f.Name)
	}
	mcol := col + len(vs) + 1
	switch f.Format {
	case FormatMAC:
		mv, ok := parseMAC(vs)
		if !ok {
			return v, mask, p.errAt(col, vs, "invalid Ethernet address %q", vs)
		}
		v, mask = Value{Lo: mv}, full
		if hasMask {
			mm, ok := parseMAC(ms)
			if !ok {
				return v, mask, p.errAt(mcol, ms, "invalid Ethernet mask %q", ms)
			}
			mask = Value{Lo: mm}
		}
	case FormatIPv4:
		return p.ip4Value(f, vs, ms, hasMask, col, mcol)
	case FormatIPv6:
		return p.ip6Value(f, vs, ms, hasMask, col, mcol)
	default:
		width := f.Bits
		if f.ID == FieldDLVLAN {
			width = 16 // 0xffff is OpenFlow 1.0's "no VLAN"
		}
		n, err := parseNum(vs, width)
		if err != nil {
			return v, mask, p.errAt(col, vs, "bad value for %s: %v", f.Name, err)
		}
		v, mask = n, full
		if f.ID == FieldDLVLAN {
			return v, mask, nil
		}
		if hasMask {
			mk, err := parseNum(ms, f.Bits)
			if err != nil {
				return v, mask, p.errAt(mcol, ms, "bad mask for %s: %v", f.Name, err)
			}
			mask = mk
		}
	}
	return v.And(mask), mask, nil
}

// ip4Value parses a value of IPv4 field f: an address vs and, with hasMask, its prefix length
// or dotted mask ms.
func (p *parser) ip4Value(f *Field, vs, ms string, hasMask bool, col, mcol int) (v, mask Value, err error) {
	a, err := netip.ParseAddr(vs)
	if err != nil || !a.Is4() {
		return v, mask, p.errAt(col, vs, "invalid IPv4 address %q", vs)
	}
	b := a.As4()
	v, mask = Value{Lo: uint64(be32(b[:]))}, f.FullMask()
	if hasMask {
		if n, err := strconv.Atoi(ms); err == nil {
			if n < 0 || n > 32 {
				return v, mask, p.errAt(mcol, ms, "IPv4 prefix length %d is not between 0 and 32", n)
			}
			mask = Value{Lo: (0xffffffff << (32 - uint(n))) & 0xffffffff}
		} else if m, err := netip.ParseAddr(ms); err == nil && m.Is4() {
			mb := m.As4()
			mask = Value{Lo: uint64(be32(mb[:]))}
		} else {
			return v, mask, p.errAt(mcol, ms, "invalid IPv4 mask %q", ms)
		}
	}
	return v.And(mask), mask, nil
}

// ip6Value parses a value of IPv6 field f: an address vs and, with hasMask, its prefix length
// or mask ms.
func (p *parser) ip6Value(f *Field, vs, ms string, hasMask bool, col, mcol int) (v, mask Value, err error) {
	a, err := netip.ParseAddr(vs)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return v, mask, p.errAt(col, vs, "invalid IPv6 address %q", vs)
	}
	v, mask = v6Value(a), f.FullMask()
	if hasMask {
		if n, err := strconv.Atoi(ms); err == nil {
			if n < 0 || n > 128 {
				return v, mask, p.errAt(mcol, ms, "IPv6 prefix length %d is not between 0 and 128", n)
			}
			mask = prefixMask128(n)
		} else if m, err := netip.ParseAddr(ms); err == nil && m.Is6() {
			mask = v6Value(m)
		} else {
			return v, mask, p.errAt(mcol, ms, "invalid IPv6 mask %q", ms)
		}
	}
	return v.And(mask), mask, nil
}

// parseNum parses a decimal or 0x-hex number that must fit in n bits.
func parseNum(s string, n int) (Value, error) {
	if s == "" {
		return Value{}, errString("missing number")
	}
	var v Value
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		h := s[2:]
		if h == "" || len(h) > 32 {
			return v, errString("bad hexadecimal number " + strconv.Quote(s))
		}
		for _, c := range h {
			d, ok := hexDigit(byte(c))
			if !ok {
				return v, errString("bad hexadecimal number " + strconv.Quote(s))
			}
			v = Value{v.Hi<<4 | v.Lo>>60, v.Lo<<4 | uint64(d)}
		}
	} else {
		x, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return v, errString(strconv.Quote(s) + " is not a number")
		}
		v.Lo = x
	}
	if n < 128 && v.And(OnesValue(n)) != v {
		return v, errString("value " + s + " is too large for a " + strconv.Itoa(n) + "-bit field")
	}
	return v, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseMAC reads six colon-separated groups of one or two hex digits.
func parseMAC(s string) (uint64, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 {
		return 0, false
	}
	var v uint64
	for _, g := range parts {
		if len(g) < 1 || len(g) > 2 {
			return 0, false
		}
		var b uint64
		for i := 0; i < len(g); i++ {
			d, ok := hexDigit(g[i])
			if !ok {
				return 0, false
			}
			b = b<<4 | uint64(d)
		}
		v = v<<8 | b
	}
	return v, true
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func v6Value(a netip.Addr) Value {
	b := a.As16()
	var v Value
	for i := 0; i < 8; i++ {
		v.Hi = v.Hi<<8 | uint64(b[i])
		v.Lo = v.Lo<<8 | uint64(b[8+i])
	}
	return v
}

func prefixMask128(n int) Value {
	if n == 0 {
		return Value{}
	}
	return OnesValue(128).shl(uint(128 - n))
}

// ctStateFlags are the ct_state bits in Open vSwitch's order.
var ctStateFlags = []string{"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"}

// tcpFlagNames are the TCP header flags in bit order.
var tcpFlagNames = []string{"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"}

// flagsValue parses "+a-b..." flag syntax or a number/mask.
func (p *parser) flagsValue(f *Field, s string, col int, names []string) (v, mask Value, err error) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		i := 0
		for i < len(s) {
			set := s[i] == '+'
			if s[i] != '+' && s[i] != '-' {
				return v, mask, p.errAt(col+i, s[i:], "bad %s flags: expected + or -", f.Name)
			}
			j := i + 1
			for j < len(s) && s[j] != '+' && s[j] != '-' {
				j++
			}
			name := s[i+1 : j]
			bit := flagBit(names, name, f.Bits)
			if bit < 0 {
				return v, mask, p.errAt(col+i+1, name, "unknown %s flag %q", f.Name, name)
			}
			if mask.Lo&(1<<uint(bit)) != 0 {
				return v, mask, p.errAt(col+i+1, name, "%s flag %q given twice", f.Name, name)
			}
			mask.Lo |= 1 << uint(bit)
			if set {
				v.Lo |= 1 << uint(bit)
			}
			i = j
		}
		return v, mask, nil
	}
	if f.ID == FieldTCPFlags && s != "" && !strings.HasPrefix(s, "0") {
		// tcp_flags=syn|ack style: the named flags exactly.
		for _, name := range strings.Split(s, "|") {
			bit := flagBit(names, name, f.Bits)
			if bit < 0 {
				return v, mask, p.errAt(col, name, "unknown %s flag %q", f.Name, name)
			}
			v.Lo |= 1 << uint(bit)
		}
		return v, f.FullMask(), nil
	}
	vs, ms, hasMask := strings.Cut(s, "/")
	n, err := parseNum(vs, f.Bits)
	if err != nil {
		return v, mask, p.errAt(col, vs, "bad value for %s: %v", f.Name, err)
	}
	mask = f.FullMask()
	if hasMask {
		if mask, err = parseNum(ms, f.Bits); err != nil {
			return v, mask, p.errAt(col+len(vs)+1, ms, "bad mask for %s: %v", f.Name, err)
		}
	}
	return n.And(mask), mask, nil
}

// nw_frag bits as the Key stores them.
const (
	fragAny   = 1
	fragLater = 2
)

func parseFrag(s string) (v, m uint64, ok bool) {
	switch s {
	case "no":
		return 0, fragAny, true
	case "yes":
		return fragAny, fragAny, true
	case "first":
		return fragAny, fragAny | fragLater, true
	case "later":
		return fragAny | fragLater, fragAny | fragLater, true
	case "not_later":
		return 0, fragLater, true
	}
	return 0, 0, false
}

// isPrefix reports whether m (n bits wide) is a run of ones from the top,
// and how long the run is.
func isPrefix(m uint64, n int) (int, bool) {
	if m == 0 {
		return 0, true
	}
	l := bits.LeadingZeros64(m << (64 - uint(n)))
	if l != 0 {
		return 0, false
	}
	ones := bits.OnesCount64(m)
	full := (uint64(1)<<uint(ones) - 1) << uint(n-ones)
	return ones, m == full
}

// flagBit finds a flag by name, or by the "[hex]" spelling of a bit
// without one; -1 if it is neither.
func flagBit(names []string, name string, width int) int {
	for k, n := range names {
		if n == name {
			return k
		}
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		v, err := strconv.ParseUint(name[1:len(name)-1], 16, 64)
		if err == nil && v != 0 && v&(v-1) == 0 {
			if b := bits.TrailingZeros64(v); b < width {
				return b
			}
		}
	}
	return -1
}
