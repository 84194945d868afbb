package flowtable

import (
	"fmt"
	"strconv"
	"strings"
)

// cookieField parses the value of cookie= the way ovs-ofctl reads it:
//   - cookie=V sets the cookie: of an added flow, or of the flows a modify
//     changes (NewCookie). A delete or a dump-flows filter cannot set a
//     cookie, so there V alone is refused, as OVS refuses it, rather than
//     silently selecting every flow: to match, give a mask (V/-1 = exactly
//     V).
//   - cookie=V/M selects flows whose cookie&M == V&M (modify, delete and
//     dump filters) and leaves their cookies alone; an add cannot select,
//     so it refuses a mask.
//   - A modify without cookie= sets the cookie of the flows it changes to
//     0, as ovs-ofctl's OpenFlow 1.0 flow mod does.
//
// Numbers are read like C's strtoull with base 0 (decimal, 0x hex, 0
// octal; a leading minus wraps, so -1 is all ones), which is what OVS
// accepts.
func (p *parser) cookieField(t token, m *FlowMod) error {
	v, mask, hasMask := strings.Cut(t.val, "/")
	c, err := parseCookie(v)
	if err != nil {
		return p.errAt(t.vcol, t.val, "bad cookie: %v", err)
	}
	m.Flow.Cookie = c
	if !hasMask {
		switch p.cmd {
		case CmdDelete, CmdDeleteStrict:
			return p.errAt(t.vcol, t.val, "cannot set a cookie when deleting or selecting flows; to match on a cookie, give a mask, e.g. cookie=%s/-1 (exactly %s)", v, v)
		case CmdModify, CmdModifyStrict:
			m.NewCookie = true
		}
		return nil
	}
	if p.cmd == CmdAdd {
		return p.errAt(t.vcol, t.val, "a cookie mask is only allowed when modifying, deleting or selecting flows")
	}
	cm, err := parseCookie(mask)
	if err != nil {
		return p.errAt(t.vcol+len(v)+1, mask, "bad cookie mask: %v", err)
	}
	m.CookieMask = cm
	m.NewCookie = false // selecting by cookie: the flows keep theirs
	return nil
}

// parseCookie reads a 64-bit cookie or cookie mask (see cookieField).
func parseCookie(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("missing number")
	}
	neg := false
	if digits, ok := strings.CutPrefix(s, "-"); ok {
		neg, s = true, digits
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s does not fit in 64 bits", s)
		}
		return 0, fmt.Errorf("%q is not a number (want e.g. 0x1f, 31 or -1)", s)
	}
	if neg {
		n = -n
	}
	return n, nil
}
