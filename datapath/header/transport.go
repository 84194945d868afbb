package header

import "encoding/binary"

// Fixed sizes of transport headers.
const (
	TCPMinimumSize    = 20
	UDPMinimumSize    = 8
	ICMPv4MinimumSize = 8
)

// TCP flag bits.
const (
	TCPFlagFIN = 1 << iota
	TCPFlagSYN
	TCPFlagRST
	TCPFlagPSH
	TCPFlagACK
	TCPFlagURG
	TCPFlagECE
	TCPFlagCWR
)

// TCP is a view over a TCP header. It is at least TCPMinimumSize bytes;
// Options and Payload need DataOffset bytes (see Valid).
type TCP []byte

// Valid reports whether b is long enough for the header it announces.
func (b TCP) Valid() bool {
	if len(b) < TCPMinimumSize {
		return false
	}
	off := int(b.DataOffset())
	return off >= TCPMinimumSize && off <= len(b)
}

// SrcPort returns the source port.
func (b TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:]) }

// DstPort returns the destination port.
func (b TCP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// Seq returns the sequence number.
func (b TCP) Seq() uint32 { return binary.BigEndian.Uint32(b[4:]) }

// Ack returns the acknowledgement number.
func (b TCP) Ack() uint32 { return binary.BigEndian.Uint32(b[8:]) }

// DataOffset returns the header length in bytes.
func (b TCP) DataOffset() uint8 { return b[12] >> 4 * 4 }

// Flags returns the flag byte (TCPFlag*).
func (b TCP) Flags() uint8 { return b[13] }

// Window returns the window size.
func (b TCP) Window() uint16 { return binary.BigEndian.Uint16(b[14:]) }

// Checksum returns the checksum field.
func (b TCP) Checksum() uint16 { return binary.BigEndian.Uint16(b[16:]) }

// UrgentPointer returns the urgent pointer.
func (b TCP) UrgentPointer() uint16 { return binary.BigEndian.Uint16(b[18:]) }

// Options returns the options (needs DataOffset bytes).
func (b TCP) Options() []byte { return b[TCPMinimumSize:b.DataOffset()] }

// Payload returns the segment data (needs DataOffset bytes).
func (b TCP) Payload() []byte { return b[b.DataOffset():] }

// SetSrcPort sets the source port without touching the checksum.
func (b TCP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(b[0:], p) }

// SetDstPort sets the destination port without touching the checksum.
func (b TCP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(b[2:], p) }

// SetChecksum sets the checksum field.
func (b TCP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[16:], v) }

// SetSrcPortWithChecksum sets the source port and updates the checksum.
func (b TCP) SetSrcPortWithChecksum(p uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.SrcPort(), p))
	b.SetSrcPort(p)
}

// SetDstPortWithChecksum sets the destination port and updates the checksum.
func (b TCP) SetDstPortWithChecksum(p uint16) {
	b.SetChecksum(UpdateChecksum16(b.Checksum(), b.DstPort(), p))
	b.SetDstPort(p)
}

// UDP is a view over a UDP header. It is at least UDPMinimumSize bytes.
type UDP []byte

// SrcPort returns the source port.
func (b UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:]) }

// DstPort returns the destination port.
func (b UDP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// Length returns the length field (header and data).
func (b UDP) Length() uint16 { return binary.BigEndian.Uint16(b[4:]) }

// Checksum returns the checksum field (0 = none, IPv4 only).
func (b UDP) Checksum() uint16 { return binary.BigEndian.Uint16(b[6:]) }

// Payload returns the datagram data, to the end of the view.
func (b UDP) Payload() []byte { return b[UDPMinimumSize:] }

// SetSrcPort sets the source port without touching the checksum.
func (b UDP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(b[0:], p) }

// SetDstPort sets the destination port without touching the checksum.
func (b UDP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(b[2:], p) }

// SetLength sets the length field.
func (b UDP) SetLength(v uint16) { binary.BigEndian.PutUint16(b[4:], v) }

// SetChecksum sets the checksum field.
func (b UDP) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[6:], v) }

// ICMP message types used by the switch.
const (
	ICMPv4EchoReply   = 0
	ICMPv4EchoRequest = 8
)

// ICMPv4 is a view over an ICMP header. It is at least ICMPv4MinimumSize
// bytes.
type ICMPv4 []byte

// Type returns the message type.
func (b ICMPv4) Type() uint8 { return b[0] }

// Code returns the message code.
func (b ICMPv4) Code() uint8 { return b[1] }

// Checksum returns the checksum field.
func (b ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// Ident returns the identifier of echo messages.
func (b ICMPv4) Ident() uint16 { return binary.BigEndian.Uint16(b[4:]) }

// Sequence returns the sequence number of echo messages.
func (b ICMPv4) Sequence() uint16 { return binary.BigEndian.Uint16(b[6:]) }

// Payload returns what follows the 8-byte header.
func (b ICMPv4) Payload() []byte { return b[ICMPv4MinimumSize:] }

// SetType sets the message type without touching the checksum.
func (b ICMPv4) SetType(t uint8) { b[0] = t }

// SetCode sets the message code without touching the checksum.
func (b ICMPv4) SetCode(c uint8) { b[1] = c }

// SetChecksum sets the checksum field.
func (b ICMPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[2:], v) }

// SetTypeCodeWithChecksum sets type and code and updates the checksum.
func (b ICMPv4) SetTypeCodeWithChecksum(t, c uint8) {
	old := binary.BigEndian.Uint16(b[0:])
	b[0], b[1] = t, c
	b.SetChecksum(UpdateChecksum16(b.Checksum(), old, binary.BigEndian.Uint16(b[0:])))
}
