package tunnel

import "encoding/binary"

// Sizes of the fixed tunnel headers.
const (
	VXLANSize      = 8
	GRESize        = 4   // without the optional checksum, key and sequence words
	GeneveBaseSize = 8   // without options
	GeneveMaxOpts  = 252 // 6-bit length in 4-byte words
)

// Default UDP destination ports (IANA), as Open vSwitch's dst_port defaults.
const (
	VXLANPort  = 4789
	GenevePort = 6081
)

// EtherTypeTEB is transparent Ethernet bridging, the protocol GRE and
// Geneve carry for an inner Ethernet frame as Open vSwitch uses them.
const EtherTypeTEB = 0x6558

// IPProtocolGRE is the IP protocol number of GRE.
const IPProtocolGRE = 47

// VXLANFlagVNI is the I flag of the VXLAN flags byte (RFC 7348): the VNI is valid.
const VXLANFlagVNI = 0x08

// VXLAN is a view over a VXLAN header (RFC 7348); it is at least VXLANSize bytes.
type VXLAN []byte

// Flags returns the flags byte (0x08 when the VNI is valid).
func (b VXLAN) Flags() uint8 { return b[0] }

// Reserved reports whether any reserved bit (the 24 after the flags and
// the 8 after the VNI) is set.
func (b VXLAN) Reserved() bool { return b[1]|b[2]|b[3]|b[7] != 0 }

// VNI returns the 24-bit VXLAN network identifier.
func (b VXLAN) VNI() uint32 { return binary.BigEndian.Uint32(b[4:]) >> 8 }

// Set writes a header with the I flag, vni (low 24 bits) and zero reserved bits.
func (b VXLAN) Set(vni uint32) {
	binary.BigEndian.PutUint32(b[0:], VXLANFlagVNI<<24)
	binary.BigEndian.PutUint32(b[4:], vni<<8)
}

// GRE flag bits in the first 16-bit word (RFC 2784/2890).
const (
	GREFlagC       = 0x8000 // checksum present
	GREFlagR       = 0x4000 // routing present (RFC 1701, rejected)
	GREFlagK       = 0x2000 // key present
	GREFlagS       = 0x1000 // sequence number present
	GREVersionMask = 0x0007
)

// GRE is a view over a GRE header; it is at least GRESize bytes, and
// Length bytes for the optional fields the flags announce.
type GRE []byte

// Flags returns the first 16-bit word: flag bits, reserved bits and version.
func (b GRE) Flags() uint16 { return binary.BigEndian.Uint16(b[0:]) }

// Protocol returns the EtherType of the payload.
func (b GRE) Protocol() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// GRELength returns the header length the flags announce: 4, plus 4 for
// each of checksum, key and sequence present.
func GRELength(flags uint16) int {
	n := GRESize
	if flags&GREFlagC != 0 {
		n += 4
	}
	if flags&GREFlagK != 0 {
		n += 4
	}
	if flags&GREFlagS != 0 {
		n += 4
	}
	return n
}

// Length returns GRELength of the header's flags.
func (b GRE) Length() int { return GRELength(b.Flags()) }

// Checksum returns the checksum word; only meaningful with GREFlagC.
func (b GRE) Checksum() uint16 { return binary.BigEndian.Uint16(b[4:]) }

// Key returns the key (0 without GREFlagK); needs Length bytes.
func (b GRE) Key() uint32 {
	f := b.Flags()
	if f&GREFlagK == 0 {
		return 0
	}
	at := 4
	if f&GREFlagC != 0 {
		at += 4
	}
	return binary.BigEndian.Uint32(b[at:])
}

// Sequence returns the sequence number (0 without GREFlagS); needs Length bytes.
func (b GRE) Sequence() uint32 {
	f := b.Flags()
	if f&GREFlagS == 0 {
		return 0
	}
	return binary.BigEndian.Uint32(b[GRELength(f)-4:])
}

// Set writes a version-0 header with the given flags (C, K, S) and
// protocol, the key and sequence words where the flags ask for them, and
// a zero checksum word (see SetChecksum). It needs GRELength(flags) bytes.
func (b GRE) Set(flags, proto uint16, key, seq uint32) {
	binary.BigEndian.PutUint16(b[0:], flags&(GREFlagC|GREFlagK|GREFlagS))
	binary.BigEndian.PutUint16(b[2:], proto)
	at := 4
	if flags&GREFlagC != 0 {
		binary.BigEndian.PutUint32(b[at:], 0)
		at += 4
	}
	if flags&GREFlagK != 0 {
		binary.BigEndian.PutUint32(b[at:], key)
		at += 4
	}
	if flags&GREFlagS != 0 {
		binary.BigEndian.PutUint32(b[at:], seq)
	}
}

// SetChecksum stores v in the checksum word (with GREFlagC).
func (b GRE) SetChecksum(v uint16) { binary.BigEndian.PutUint16(b[4:], v) }

// Geneve flag bits in the second byte (RFC 8926).
const (
	GeneveFlagOAM      = 0x80
	GeneveFlagCritical = 0x40
)

// Geneve is a view over a Geneve header (RFC 8926); it is at least
// GeneveBaseSize bytes, and Length bytes for its options.
type Geneve []byte

// Version returns the 2-bit version (0 today).
func (b Geneve) Version() uint8 { return b[0] >> 6 }

// OptionsLength returns the length of the options in bytes.
func (b Geneve) OptionsLength() int { return int(b[0]&0x3f) * 4 }

// Length returns the header length with options.
func (b Geneve) Length() int { return GeneveBaseSize + b.OptionsLength() }

// Flags returns the O and C flag byte.
func (b Geneve) Flags() uint8 { return b[1] }

// Protocol returns the EtherType of the payload.
func (b Geneve) Protocol() uint16 { return binary.BigEndian.Uint16(b[2:]) }

// VNI returns the 24-bit virtual network identifier.
func (b Geneve) VNI() uint32 { return binary.BigEndian.Uint32(b[4:]) >> 8 }

// Options returns the options, kept opaque; needs Length bytes.
func (b Geneve) Options() []byte { return b[GeneveBaseSize:b.Length()] }

// Set writes a version-0 header for vni and proto with the given flags
// and opts copied after it; opts must be a multiple of 4 bytes and at most
// GeneveMaxOpts, and b needs GeneveBaseSize+len(opts) bytes.
func (b Geneve) Set(flags uint8, proto uint16, vni uint32, opts []byte) {
	b[0] = uint8(len(opts)/4) & 0x3f
	b[1] = flags & (GeneveFlagOAM | GeneveFlagCritical)
	binary.BigEndian.PutUint16(b[2:], proto)
	binary.BigEndian.PutUint32(b[4:], vni<<8)
	copy(b[GeneveBaseSize:], opts)
}
