package datapath

import (
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// Headroom is the space every receive buffer keeps before the frame, so VLAN
// push and tunnel encapsulation can prepend headers in place.
const Headroom = 128

// Packet is the datapath's per-packet state: the packet (frame, headroom
// and metadata, package packet) and the flow key parsed from it. A Packet
// is owned by one worker at a time.
type Packet struct {
	packet.Packet

	// Key is the parsed flow key, in_port included.
	Key flowtable.Key
}

// Reset points p at a frame of n bytes at buf[off:] and clears what was
// parsed before and the metadata.
func (p *Packet) Reset(buf []byte, off, n int) {
	p.Packet.Reset(buf, off, n)
	p.Key = flowtable.Key{}
}

// Malformed reports whether parsing stopped at an invalid header.
func (p *Packet) Malformed() bool { return p.Layout().Has(packet.Malformed) }

// Field descriptors used on the per-packet path, looked up once.
var (
	fInPort    = flowtable.FieldByID(flowtable.FieldInPort)
	fEthSrc    = flowtable.FieldByID(flowtable.FieldEthSrc)
	fEthDst    = flowtable.FieldByID(flowtable.FieldEthDst)
	fEthType   = flowtable.FieldByID(flowtable.FieldEthType)
	fVLANTCI   = flowtable.FieldByID(flowtable.FieldVLANTCI)
	fIPProto   = flowtable.FieldByID(flowtable.FieldIPProto)
	fIPTOS     = flowtable.FieldByID(flowtable.FieldIPTOS)
	fIPECN     = flowtable.FieldByID(flowtable.FieldIPECN)
	fIPTTL     = flowtable.FieldByID(flowtable.FieldIPTTL)
	fIPFrag    = flowtable.FieldByID(flowtable.FieldIPFrag)
	fIPv4Src   = flowtable.FieldByID(flowtable.FieldIPv4Src)
	fIPv4Dst   = flowtable.FieldByID(flowtable.FieldIPv4Dst)
	fIPv6Src   = flowtable.FieldByID(flowtable.FieldIPv6Src)
	fIPv6Dst   = flowtable.FieldByID(flowtable.FieldIPv6Dst)
	fIPv6Label = flowtable.FieldByID(flowtable.FieldIPv6Label)
	fTPSrc     = flowtable.FieldByID(flowtable.FieldTCPSrc)
	fTPDst     = flowtable.FieldByID(flowtable.FieldTCPDst)
	fTCPFlags  = flowtable.FieldByID(flowtable.FieldTCPFlags)
	fARPSHA    = flowtable.FieldByID(flowtable.FieldARPSHA)
	fARPTHA    = flowtable.FieldByID(flowtable.FieldARPTHA)
	fNDTarget  = flowtable.FieldByID(flowtable.FieldNDTarget)
	fTunID     = flowtable.FieldByID(flowtable.FieldTunID)
	fMetadata  = flowtable.FieldByID(flowtable.FieldMetadata)
	fCTState   = flowtable.FieldByID(flowtable.FieldCTState)
	fCTZone    = flowtable.FieldByID(flowtable.FieldCTZone)
	fCTMark    = flowtable.FieldByID(flowtable.FieldCTMark)
	fCTLabel   = flowtable.FieldByID(flowtable.FieldCTLabel)
	fConjID    = flowtable.FieldByID(flowtable.FieldConjID)
)

func u64(v uint64) flowtable.Value { return flowtable.Value{Lo: v} }

func mac48(b []byte) uint64 {
	_ = b[5]
	return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
}

func putMAC48(b []byte, v uint64) {
	_ = b[5]
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
func be64(b []byte) uint64 { return uint64(be32(b))<<32 | uint64(be32(b[4:])) }

func put16(b []byte, v uint16) { b[0], b[1] = byte(v>>8), byte(v) }
func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
func put64(b []byte, v uint64) { put32(b, uint32(v>>32)); put32(b[4:], uint32(v)) }
