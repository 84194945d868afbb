package flowtable

// Match is a set of field constraints: a packet's key k matches when
// k & Mask == Value for every word. Value is always kept masked (bits outside
// Mask are zero), so two equal matches are equal as Go values.
type Match struct {
	Value Key
	Mask  Key
}

// Set constrains field f to v under mask (use f.FullMask() for an exact
// match). Bits outside the field are untouched; bits previously constrained
// by another field that shares storage are overwritten.
func (m *Match) Set(f *Field, v, mask Value) {
	m.Mask.Set(f, mask)
	m.Value.Set(f, v.And(m.Mask.Get(f)))
}

// SetExact constrains field f to exactly v.
func (m *Match) SetExact(f *Field, v Value) { m.Set(f, v, f.FullMask()) }

// SetBits constrains bits [ofs, ofs+n) of field f to the low n bits of v,
// leaving the field's other bits as they were.
func (m *Match) SetBits(f *Field, ofs, n int, v Value) {
	m.Mask.SetBits(f, ofs, n, OnesValue(n))
	m.Value.SetBits(f, ofs, n, v)
}

// Get returns the value and mask of field f.
func (m *Match) Get(f *Field) (v, mask Value) { return m.Value.Get(f), m.Mask.Get(f) }

// Has reports whether any bit of field f is constrained.
func (m *Match) Has(f *Field) bool { return !m.Mask.Get(f).IsZero() }

// IsExact reports whether field f is constrained on all of its bits.
func (m *Match) IsExact(f *Field) bool { return m.Mask.Get(f) == f.FullMask() }

// Matches reports whether key k satisfies m.
func (m *Match) Matches(k *Key) bool {
	for i := range k {
		if k[i]&m.Mask[i] != m.Value[i] {
			return false
		}
	}
	return true
}

// Covers reports whether every packet matching o also matches m, i.e. m is
// equal to or looser than o (the "loose" relation of OpenFlow modify/delete).
func (m *Match) Covers(o *Match) bool {
	for i := range m.Mask {
		if m.Mask[i]&^o.Mask[i] != 0 || o.Value[i]&m.Mask[i] != m.Value[i] {
			return false
		}
	}
	return true
}

// EthType returns the exact dl_type the match requires, or 0.
func (m *Match) EthType() uint16 {
	f := &fields[FieldEthType]
	if !m.IsExact(f) {
		return 0
	}
	return uint16(m.Value.Get(f).Lo)
}

// IPProto returns the exact nw_proto the match requires and whether it does.
func (m *Match) IPProto() (uint8, bool) {
	f := &fields[FieldIPProto]
	if !m.IsExact(f) {
		return 0, false
	}
	return uint8(m.Value.Get(f).Lo), true
}

// Well-known ethertypes and IP protocols used by prerequisites.
const (
	EthTypeIPv4 = 0x0800
	EthTypeARP  = 0x0806
	EthTypeRARP = 0x8035
	EthTypeIPv6 = 0x86dd
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
	ProtoSCTP   = 132
)

// normalize clears the value bits the mask does not select, so that equal
// matches compare equal.
func (m *Match) normalize() {
	for i := range m.Value {
		m.Value[i] &= m.Mask[i]
	}
}

// laterFragment reports whether m matches only later IP fragments
// (nw_frag=later).
func (m *Match) laterFragment() bool {
	return m.Value.Get(&fields[FieldIPFrag]).Lo&2 != 0
}

// Satisfies reports whether the match meets prerequisite p.
func (m *Match) Satisfies(p Prereq) bool {
	et := m.EthType()
	ip := et == EthTypeIPv4 || et == EthTypeIPv6
	proto, hasProto := m.IPProto()
	icmpType := func() (uint8, bool) {
		f := &fields[FieldICMPv6Type]
		return uint8(m.Value.Get(f).Lo), m.IsExact(f)
	}
	switch p {
	case PrereqNone:
		return true
	case PrereqARP:
		return et == EthTypeARP || et == EthTypeRARP
	case PrereqIPv4:
		return et == EthTypeIPv4
	case PrereqIPv6:
		return et == EthTypeIPv6
	case PrereqIPAny:
		return ip
	case PrereqIPv4OrARP:
		return et == EthTypeIPv4 || et == EthTypeARP || et == EthTypeRARP
	// Later fragments carry no TCP, UDP or SCTP header: Open vSwitch
	// refuses their fields with nw_frag=later (not ICMP's).
	case PrereqTCP:
		return ip && hasProto && proto == ProtoTCP && !m.laterFragment()
	case PrereqUDP:
		return ip && hasProto && proto == ProtoUDP && !m.laterFragment()
	case PrereqSCTP:
		return ip && hasProto && proto == ProtoSCTP && !m.laterFragment()
	case PrereqL4:
		return ip && hasProto && (proto == ProtoTCP || proto == ProtoUDP || proto == ProtoSCTP) && !m.laterFragment()
	case PrereqICMPv4:
		return et == EthTypeIPv4 && hasProto && proto == ProtoICMP
	case PrereqICMPv6:
		return et == EthTypeIPv6 && hasProto && proto == ProtoICMPv6
	case PrereqND, PrereqNDSolicit, PrereqNDAdvert:
		if !(et == EthTypeIPv6 && hasProto && proto == ProtoICMPv6) {
			return false
		}
		t, ok := icmpType()
		if !ok {
			return false
		}
		switch p {
		case PrereqNDSolicit:
			return t == 135
		case PrereqNDAdvert:
			return t == 136
		}
		return t == 135 || t == 136
	case PrereqVLAN:
		f := &fields[FieldVLANTCI]
		v, mk := m.Get(f)
		return mk.Lo&0x1000 != 0 && v.Lo&0x1000 != 0
	}
	return false
}

// prereqName spells a prerequisite for error messages.
func (p Prereq) String() string {
	return [...]string{"none", "arp", "ip", "ipv6", "ip or ipv6", "ip or arp", "tcp", "udp", "sctp",
		"tcp, udp or sctp", "icmp", "icmp6", "icmp6 with icmp_type=135 or 136", "icmp6 with icmp_type=135",
		"icmp6 with icmp_type=136", "a VLAN tag (dl_vlan or vlan_tci with 0x1000)"}[p]
}
