package openflow

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/flowtable"
)

// ParseNXMatch decodes an nx_match (exactly the match_len bytes of the
// message, no padding). It accepts NXM and OXM headers in any order that
// meets each field's prerequisites, as ovs-vswitchd does; errors are
// *MatchError.
func ParseNXMatch(b []byte) (*flowtable.Match, error) {
	m := new(flowtable.Match)
	if err := decodeTLVs(b, m, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// nxCookie is the NXM_NX_COOKIE entry a Nicira flow mod's match may carry.
type nxCookie struct{ value, mask uint64 }

// NXM_NX_COOKIE's class and field.
const nxmCookieField = 30

// ParseOXMatch decodes the ofp_match of type OXM at the start of b for
// OpenFlow version v (1.2+). n is the bytes it occupies, padding included.
func ParseOXMatch(v Version, b []byte) (m *flowtable.Match, n int, err error) {
	if v < OF12 {
		return nil, 0, matchErr(BadMatchType, "OXM match in %v", v)
	}
	if len(b) < 4 {
		return nil, 0, matchErr(BadMatchLen, "ofp_match truncated to %d bytes", len(b))
	}
	typ, l := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
	if typ != 1 {
		return nil, 0, matchErr(BadMatchType, "match type %d, want OXM (1)", typ)
	}
	n = (l + 7) &^ 7
	if l < 4 || n > len(b) {
		return nil, 0, matchErr(BadMatchLen, "match length %d in %d bytes", l, len(b))
	}
	m = new(flowtable.Match)
	if err := decodeTLVs(b[4:l], m, nil); err != nil {
		return nil, 0, err
	}
	return m, n, nil
}

// decodeTLVs applies the NXM/OXM entries of b to m. With ck non-nil it
// also accepts NXM_NX_COOKIE and stores it there.
func decodeTLVs(b []byte, m *flowtable.Match, ck *nxCookie) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return matchErr(BadMatchLen, "%d trailing bytes", len(b))
		}
		class, fno, hm, l := binary.BigEndian.Uint16(b), b[2]>>1, b[2]&1 == 1, int(b[3])
		body := b[4:]
		if len(body) < l {
			return matchErr(BadMatchLen, "field %#04x:%d of %d bytes in %d", class, fno, l, len(body))
		}
		b, body = body[l:], body[:l]
		var exp uint32
		if class == oxmClassExp {
			if l < 4 {
				return matchErr(BadMatchLen, "experimenter field of %d bytes", l)
			}
			exp, body = binary.BigEndian.Uint32(body), body[4:]
		}
		if ck != nil && class == nxmClassNX && fno == nxmCookieField {
			if len(body) != 8 && !(hm && len(body) == 16) || ck.mask != 0 {
				return matchErr(BadMatchLen, "bad or repeated NXM_NX_COOKIE")
			}
			ck.value, ck.mask = binary.BigEndian.Uint64(body), ^uint64(0)
			if hm {
				ck.mask = binary.BigEndian.Uint64(body[8:])
			}
			ck.value &= ck.mask
			continue
		}
		w, ok := wireIndex[wireKey(class, fno, exp)]
		if !ok {
			return matchErr(BadMatchField, "unknown field %#04x:%d (experimenter %#x)", class, fno, exp)
		}
		if err := decodeField(m, &wireFields[w], hm, body); err != nil {
			return err
		}
	}
	return nil
}

// readWireValue reads a big-endian value of len(b) <= 16 bytes.
func readWireValue(b []byte) flowtable.Value {
	var v flowtable.Value
	for _, c := range b {
		v.Hi = v.Hi<<8 | v.Lo>>56
		v.Lo = v.Lo<<8 | uint64(c)
	}
	return v
}

// decodeField applies one entry of wire field w to m.
func decodeField(m *flowtable.Match, w *wireField, hm bool, body []byte) error {
	f := ftField(w.id)
	name := f.Name
	want := w.n
	if hm {
		want *= 2
	}
	if len(body) != want {
		// The length is part of the header: OVS knows no such field.
		return matchErr(BadMatchField, "%s: %d value bytes, want %d", name, len(body), want)
	}
	maskable := f.Maskable && w.kind == kindPlain
	if hm && !maskable {
		return matchErr(BadMatchMask, "%s cannot be masked", name)
	}
	v := readWireValue(body[:w.n])
	mask := flowtable.OnesValue(8 * w.n)
	if hm {
		mask = readWireValue(body[w.n:])
		if v.And(mask) != v {
			return matchErr(BadMatchWildcards, "%s has 1-bits in its value where the mask has 0-bits", name)
		}
	}
	if !m.Satisfies(f.Prereq) {
		return matchErr(BadMatchPrereq, "%s requires %v", name, f.Prereq)
	}
	switch f.Prereq {
	case flowtable.PrereqND, flowtable.PrereqNDSolicit, flowtable.PrereqNDAdvert:
		// Neighbor discovery messages have ICMPv6 code 0.
		if cv, _ := m.Get(ftField(flowtable.FieldICMPv6Code)); cv.Lo != 0 {
			return matchErr(BadMatchPrereq, "%s requires icmpv6_code 0", name)
		}
	}
	switch w.kind {
	case kindInPortOXM:
		p := v.Lo
		switch {
		case p >= 0xffffff00:
			p -= 0xffff0000
		case p >= 0xff00:
			return matchErr(BadMatchValue, "in_port %#x out of range", p)
		}
		v = flowtable.Value{Lo: p}
	case kindARPOp:
		if v.Lo > 0xff {
			return matchErr(BadMatchValue, "arp_op %d out of range", v.Lo)
		}
	case kindVLANPCP:
		if v.Lo > 7 {
			return matchErr(BadMatchValue, "vlan_pcp %d out of range", v.Lo)
		}
		tci := ftField(flowtable.FieldVLANTCI)
		tv, tm := m.Get(tci)
		if tm.Lo&0xe000 != 0 {
			return matchErr(BadMatchDupField, "vlan_pcp given twice")
		}
		m.Set(tci, flowtable.Value{Lo: tv.Lo | v.Lo<<13 | 0x1000}, flowtable.Value{Lo: tm.Lo | 0xf000})
		return nil
	}
	full := f.FullMask()
	if v.And(full) != v {
		return matchErr(BadMatchValue, "%s value %#x out of range", name, v.Lo)
	}
	if w.id == flowtable.FieldIPFrag {
		// Not a fragment is stored as flowtable's parser stores nw_frag=no:
		// the later bit of a non-fragment is zero anyway.
		if mask.Lo&1 != 0 && v.Lo&1 == 0 {
			mask.Lo, v.Lo = 1, 0
		}
	}
	if m.Has(f) {
		return matchErr(BadMatchDupField, "%s given twice", name)
	}
	m.Set(f, v, mask.And(full))
	return nil
}
