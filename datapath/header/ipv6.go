package header

import (
	"encoding/binary"
	"net/netip"
)

// IPv6MinimumSize is the size of the fixed IPv6 header.
const IPv6MinimumSize = 40

// IPv6Addr is an IPv6 address in network byte order.
type IPv6Addr [16]byte

func (a IPv6Addr) String() string { return netip.AddrFrom16(a).String() }

// IPv6 is a view over the fixed IPv6 header. It is at least
// IPv6MinimumSize bytes.
type IPv6 []byte

// Valid reports whether b is long enough and has version 6.
func (b IPv6) Valid() bool { return len(b) >= IPv6MinimumSize && b[0]>>4 == 6 }

// Version returns the version field (6).
func (b IPv6) Version() uint8 { return b[0] >> 4 }

// TrafficClass returns the traffic class byte.
func (b IPv6) TrafficClass() uint8 { return uint8(binary.BigEndian.Uint16(b[0:]) >> 4) }

// FlowLabel returns the 20-bit flow label.
func (b IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(b[0:]) & 0xfffff }

// PayloadLength returns the payload length field.
func (b IPv6) PayloadLength() uint16 { return binary.BigEndian.Uint16(b[4:]) }

// NextHeader returns the next header (protocol) field.
func (b IPv6) NextHeader() uint8 { return b[6] }

// HopLimit returns the hop limit.
func (b IPv6) HopLimit() uint8 { return b[7] }

// Src returns the source address.
func (b IPv6) Src() IPv6Addr { return IPv6Addr(b[8:24]) }

// Dst returns the destination address.
func (b IPv6) Dst() IPv6Addr { return IPv6Addr(b[24:40]) }

// Payload returns what follows the fixed header.
func (b IPv6) Payload() []byte { return b[IPv6MinimumSize:] }

// SetTrafficClass sets the traffic class.
func (b IPv6) SetTrafficClass(tc uint8) {
	w := binary.BigEndian.Uint32(b[0:])
	binary.BigEndian.PutUint32(b[0:], w&^0x0ff00000|uint32(tc)<<20)
}

// SetFlowLabel sets the flow label (low 20 bits of l).
func (b IPv6) SetFlowLabel(l uint32) {
	w := binary.BigEndian.Uint32(b[0:])
	binary.BigEndian.PutUint32(b[0:], w&^0xfffff|l&0xfffff)
}

// SetPayloadLength sets the payload length.
func (b IPv6) SetPayloadLength(v uint16) { binary.BigEndian.PutUint16(b[4:], v) }

// SetNextHeader sets the next header field.
func (b IPv6) SetNextHeader(v uint8) { b[6] = v }

// SetHopLimit sets the hop limit.
func (b IPv6) SetHopLimit(v uint8) { b[7] = v }

// SetSrc sets the source address. IPv6 has no header checksum; transport
// checksums are the caller's business.
func (b IPv6) SetSrc(a IPv6Addr) { copy(b[8:24], a[:]) }

// SetDst sets the destination address.
func (b IPv6) SetDst(a IPv6Addr) { copy(b[24:40], a[:]) }
