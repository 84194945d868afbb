package header

import "encoding/binary"

// EtherType values.
const (
	EtherTypeIPv4 = 0x0800
	EtherTypeARP  = 0x0806
	EtherTypeRARP = 0x8035
	EtherTypeVLAN = 0x8100
	EtherTypeQinQ = 0x88a8
	EtherTypeIPv6 = 0x86dd
	// EtherTypeNone is Open vSwitch's dl_type for an 802.3 frame without
	// an LLC/SNAP header carrying a type.
	EtherTypeNone = 0x05ff
	// EtherTypeMin is the smallest type; smaller values are 802.3 lengths.
	EtherTypeMin = 0x0600
)

// EthernetMinimumSize is the size of an untagged Ethernet header.
const EthernetMinimumSize = 14

// MAC is an Ethernet address.
type MAC [6]byte

// Ethernet is a view over an Ethernet II header (destination, source,
// EtherType). It is at least EthernetMinimumSize bytes.
type Ethernet []byte

// Dst returns the destination address.
func (b Ethernet) Dst() MAC { return MAC(b[0:6]) }

// Src returns the source address.
func (b Ethernet) Src() MAC { return MAC(b[6:12]) }

// Type returns the EtherType (or TPID of a VLAN tag).
func (b Ethernet) Type() uint16 { return binary.BigEndian.Uint16(b[12:]) }

// SetDst sets the destination address.
func (b Ethernet) SetDst(m MAC) { copy(b[0:6], m[:]) }

// SetSrc sets the source address.
func (b Ethernet) SetSrc(m MAC) { copy(b[6:12], m[:]) }

// SetType sets the EtherType.
func (b Ethernet) SetType(t uint16) { binary.BigEndian.PutUint16(b[12:], t) }

// Payload returns what follows the header.
func (b Ethernet) Payload() []byte { return b[EthernetMinimumSize:] }

// IsMulticast reports whether the address has the group bit (broadcast
// included).
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// String formats the address as aa:bb:cc:dd:ee:ff.
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	var s [17]byte
	for i, c := range m {
		if i > 0 {
			s[3*i-1] = ':'
		}
		s[3*i], s[3*i+1] = hex[c>>4], hex[c&15]
	}
	return string(s[:])
}
