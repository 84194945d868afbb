package header

import (
	"encoding/binary"
	"fmt"
)

// IPv4MinimumSize is the size of an IPv4 header without options.
const IPv4MinimumSize = 20

// IP protocol numbers.
const (
	ProtocolICMP         = 1
	ProtocolIGMP         = 2
	ProtocolTCP          = 6
	ProtocolUDP          = 17
	ProtocolIPv6Fragment = 44
	ProtocolICMPv6       = 58
	ProtocolSCTP         = 132
)

// IPv4Addr is an IPv4 address in network byte order.
type IPv4Addr [4]byte

// Uint32 returns the address as a host integer (a.b.c.d = a<<24|...).
func (a IPv4Addr) Uint32() uint32 { return binary.BigEndian.Uint32(a[:]) }

func (a IPv4Addr) String() string { return fmt.Sprintf("%d.%d.%d.%d", a[0], a[1], a[2], a[3]) }

// IPv4 is a view over an IPv4 header. It is at least IPv4MinimumSize
// bytes; Options and Payload also need HeaderLength bytes (see Valid).
type IPv4 []byte

// Valid reports whether b is long enough for the header it announces and
// is an IPv4 header: version 4, header length at least 20.
func (b IPv4) Valid() bool {
	if len(b) < IPv4MinimumSize || b[0]>>4 != 4 {
		return false
	}
	hl := int(b.HeaderLength())
	return hl >= IPv4MinimumSize && hl <= len(b)
}

// Version returns the version field (4).
func (b IPv4) Version() uint8 { return b[0] >> 4 }

// HeaderLength returns the header length in bytes (IHL * 4).
func (b IPv4) HeaderLength() uint8 { return (b[0] & 0xf) * 4 }

// TOS returns the type of service (DSCP and ECN) byte.
func (b IPv4) TOS() uint8 { return b[1] }

// TotalLength returns the total length field.
func (b IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// ID returns the identification field.
func (b IPv4) ID() uint16 { return binary.BigEndian.Uint16(b[4:]) }

// Flags returns the three flag bits (bit 1 = DF, bit 0 = MF).
func (b IPv4) Flags() uint8 { return b[6] >> 5 }

// FragmentOffset returns the fragment offset in bytes.
func (b IPv4) FragmentOffset() uint16 { return binary.BigEndian.Uint16(b[6:]) & 0x1fff * 8 }

// TTL returns the time to live.
func (b IPv4) TTL() uint8 { return b[8] }

// Protocol returns the payload's protocol number.
func (b IPv4) Protocol() uint8 { return b[9] }

// Checksum returns the header checksum field.
func (b IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[10:]) }

// Src returns the source address.
func (b IPv4) Src() IPv4Addr { return IPv4Addr(b[12:16]) }

// Dst returns the destination address.
func (b IPv4) Dst() IPv4Addr { return IPv4Addr(b[16:20]) }

// Options returns the header's options (needs HeaderLength bytes).
func (b IPv4) Options() []byte { return b[IPv4MinimumSize:b.HeaderLength()] }

// Payload returns what follows the header, up to the end of the view
// (needs HeaderLength bytes).
func (b IPv4) Payload() []byte { return b[b.HeaderLength():] }

// SetTOS sets the TOS byte without touching the checksum.
func (b IPv4) SetTOS(v uint8) { b[1] = v }

// SetTotalLength sets the total length without touching the checksum.
func (b IPv4) SetTotalLength(v uint16) { binary.BigEndian.PutUint16(b[2:], v) }

// SetTTL sets the TTL without touching the checksum.
func (b IPv4) SetTTL(v uint8) { b[8] = v }

// SetChecksum sets the header checksum field.
func (b IPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[10:], v) }

// SetSrc sets the source address without touching the checksum.
func (b IPv4) SetSrc(a IPv4Addr) { copy(b[12:16], a[:]) }

// SetDst sets the destination address without touching the checksum.
func (b IPv4) SetDst(a IPv4Addr) { copy(b[16:20], a[:]) }

// CalculateChecksum returns the checksum the header should carry (needs
// HeaderLength bytes).
func (b IPv4) CalculateChecksum() uint16 {
	hl := b.HeaderLength()
	s := Sum(b[:10], 0)
	return Checksum(b[12:hl], s)
}

// IsChecksumValid reports whether the header checksum is right (needs
// HeaderLength bytes).
func (b IPv4) IsChecksumValid() bool { return Checksum(b[:b.HeaderLength()], 0) == 0 }

// SetSrcWithChecksum sets the source address and updates the header
// checksum incrementally. Transport checksums, whose pseudo-header covers
// the address, are the caller's business.
func (b IPv4) SetSrcWithChecksum(a IPv4Addr) {
	old := b.Src()
	b.SetChecksum(UpdateChecksum32(b.Checksum(), old.Uint32(), a.Uint32()))
	b.SetSrc(a)
}

// SetDstWithChecksum sets the destination address and updates the header
// checksum incrementally (see SetSrcWithChecksum).
func (b IPv4) SetDstWithChecksum(a IPv4Addr) {
	old := b.Dst()
	b.SetChecksum(UpdateChecksum32(b.Checksum(), old.Uint32(), a.Uint32()))
	b.SetDst(a)
}

// SetTOSWithChecksum sets the TOS byte and updates the header checksum.
func (b IPv4) SetTOSWithChecksum(v uint8) {
	old := binary.BigEndian.Uint16(b[0:])
	b[1] = v
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[0:])))
}

// SetTTLWithChecksum sets the TTL and updates the header checksum.
func (b IPv4) SetTTLWithChecksum(v uint8) {
	old := binary.BigEndian.Uint16(b[8:])
	b[8] = v
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[8:])))
}
