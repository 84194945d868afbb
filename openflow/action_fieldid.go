package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// An NXM/OXM header is class(16) field(7) hasmask(1) length(8): the
// 32-bit header that names a field in NXM and OXM matches and in the
// actions that name fields (reg_load, reg_move, set_field, learn, ct).
const (
	classNXM0   = 0x0000 // NXM_OF_*
	classNXM1   = 0x0001 // NXM_NX_*
	classOXM    = 0x8000 // OXM_OF_*
	classPktReg = 0x8001 // OXM_OF_PKT_REG*
)

// fieldHeader is one wire name of a field: which class and field number,
// how many value bytes, and the first OpenFlow version that has it (the
// NXM names date from OpenFlow 1.0).
type fieldHeader struct {
	id    flowtable.FieldID
	class uint16
	field uint8
	len   uint8
	since Version
}

func (h fieldHeader) wire(mask bool) uint32 {
	n, m := uint32(h.len), uint32(0)
	if mask {
		n, m = 2*n, 1
	}
	return uint32(h.class)<<16 | uint32(h.field)<<9 | m<<8 | n
}

// fieldHeaders lists every wire name gvs knows, NXM names first.
var fieldHeaders = func() []fieldHeader {
	type F = flowtable.FieldID
	h := []fieldHeader{
		{flowtable.FieldInPort, classNXM0, 0, 2, OF10},
		{flowtable.FieldEthDst, classNXM0, 1, 6, OF10},
		{flowtable.FieldEthSrc, classNXM0, 2, 6, OF10},
		{flowtable.FieldEthType, classNXM0, 3, 2, OF10},
		{flowtable.FieldVLANTCI, classNXM0, 4, 2, OF10},
		{flowtable.FieldIPTOS, classNXM0, 5, 1, OF10},
		{flowtable.FieldIPProto, classNXM0, 6, 1, OF10},
		{flowtable.FieldIPv4Src, classNXM0, 7, 4, OF10},
		{flowtable.FieldIPv4Dst, classNXM0, 8, 4, OF10},
		{flowtable.FieldTCPSrc, classNXM0, 9, 2, OF10},
		{flowtable.FieldTCPDst, classNXM0, 10, 2, OF10},
		{flowtable.FieldUDPSrc, classNXM0, 11, 2, OF10},
		{flowtable.FieldUDPDst, classNXM0, 12, 2, OF10},
		{flowtable.FieldICMPType, classNXM0, 13, 1, OF10},
		{flowtable.FieldICMPCode, classNXM0, 14, 1, OF10},
		{flowtable.FieldARPOp, classNXM0, 15, 2, OF10},
		{flowtable.FieldARPSPA, classNXM0, 16, 4, OF10},
		{flowtable.FieldARPTPA, classNXM0, 17, 4, OF10},
		{flowtable.FieldTunID, classNXM1, 16, 8, OF10},
		{flowtable.FieldARPSHA, classNXM1, 17, 6, OF10},
		{flowtable.FieldARPTHA, classNXM1, 18, 6, OF10},
		{flowtable.FieldIPv6Src, classNXM1, 19, 16, OF10},
		{flowtable.FieldIPv6Dst, classNXM1, 20, 16, OF10},
		{flowtable.FieldICMPv6Type, classNXM1, 21, 1, OF10},
		{flowtable.FieldICMPv6Code, classNXM1, 22, 1, OF10},
		{flowtable.FieldNDTarget, classNXM1, 23, 16, OF10},
		{flowtable.FieldNDSLL, classNXM1, 24, 6, OF10},
		{flowtable.FieldNDTLL, classNXM1, 25, 6, OF10},
		{flowtable.FieldIPFrag, classNXM1, 26, 1, OF10},
		{flowtable.FieldIPv6Label, classNXM1, 27, 4, OF10},
		{flowtable.FieldIPECN, classNXM1, 28, 1, OF10},
		{flowtable.FieldIPTTL, classNXM1, 29, 1, OF10},
		{flowtable.FieldTunSrc, classNXM1, 31, 4, OF10},
		{flowtable.FieldTunDst, classNXM1, 32, 4, OF10},
		{flowtable.FieldPktMark, classNXM1, 33, 4, OF10},
		{flowtable.FieldTCPFlags, classNXM1, 34, 2, OF10},
		{flowtable.FieldConjID, classNXM1, 37, 4, OF10},
		{flowtable.FieldCTState, classNXM1, 105, 4, OF10},
		{flowtable.FieldCTZone, classNXM1, 106, 2, OF10},
		{flowtable.FieldCTMark, classNXM1, 107, 4, OF10},
		{flowtable.FieldCTLabel, classNXM1, 108, 16, OF10},

		{flowtable.FieldInPortOXM, classOXM, 0, 4, OF12},
		{flowtable.FieldMetadata, classOXM, 2, 8, OF12},
		{flowtable.FieldEthDst, classOXM, 3, 6, OF12},
		{flowtable.FieldEthSrc, classOXM, 4, 6, OF12},
		{flowtable.FieldEthType, classOXM, 5, 2, OF12},
		{flowtable.FieldVLANVID, classOXM, 6, 2, OF12},
		{flowtable.FieldVLANPCP, classOXM, 7, 1, OF12},
		{flowtable.FieldIPDSCP, classOXM, 8, 1, OF12},
		{flowtable.FieldIPECN, classOXM, 9, 1, OF12},
		{flowtable.FieldIPProto, classOXM, 10, 1, OF12},
		{flowtable.FieldIPv4Src, classOXM, 11, 4, OF12},
		{flowtable.FieldIPv4Dst, classOXM, 12, 4, OF12},
		{flowtable.FieldTCPSrc, classOXM, 13, 2, OF12},
		{flowtable.FieldTCPDst, classOXM, 14, 2, OF12},
		{flowtable.FieldUDPSrc, classOXM, 15, 2, OF12},
		{flowtable.FieldUDPDst, classOXM, 16, 2, OF12},
		{flowtable.FieldSCTPSrc, classOXM, 17, 2, OF12},
		{flowtable.FieldSCTPDst, classOXM, 18, 2, OF12},
		{flowtable.FieldICMPType, classOXM, 19, 1, OF12},
		{flowtable.FieldICMPCode, classOXM, 20, 1, OF12},
		{flowtable.FieldARPOp, classOXM, 21, 2, OF12},
		{flowtable.FieldARPSPA, classOXM, 22, 4, OF12},
		{flowtable.FieldARPTPA, classOXM, 23, 4, OF12},
		{flowtable.FieldARPSHA, classOXM, 24, 6, OF12},
		{flowtable.FieldARPTHA, classOXM, 25, 6, OF12},
		{flowtable.FieldIPv6Src, classOXM, 26, 16, OF12},
		{flowtable.FieldIPv6Dst, classOXM, 27, 16, OF12},
		{flowtable.FieldIPv6Label, classOXM, 28, 4, OF12},
		{flowtable.FieldICMPv6Type, classOXM, 29, 1, OF12},
		{flowtable.FieldICMPv6Code, classOXM, 30, 1, OF12},
		{flowtable.FieldNDTarget, classOXM, 31, 16, OF12},
		{flowtable.FieldNDSLL, classOXM, 32, 6, OF12},
		{flowtable.FieldNDTLL, classOXM, 33, 6, OF12},
		{flowtable.FieldTunID, classOXM, 38, 8, OF13},
		{flowtable.FieldTCPFlags, classOXM, 42, 2, OF15},
	}
	for i := 0; i < 16; i++ {
		h = append(h, fieldHeader{flowtable.FieldReg0 + F(i), classNXM1, uint8(i), 4, OF10})
	}
	for i := 0; i < 4; i++ {
		h = append(h, fieldHeader{flowtable.FieldXXReg0 + F(i), classNXM1, uint8(111 + i), 16, OF10})
	}
	for i := 0; i < 8; i++ {
		h = append(h, fieldHeader{flowtable.FieldXReg0 + F(i), classPktReg, uint8(i), 8, OF13})
	}
	return h
}()

// headerFor returns the header Open vSwitch uses for id in version v: the
// newest name v has. v = 0 asks for the oldest name, as NXM actions
// (reg_load, reg_move, learn, output_reg, ct zone) always use.
func headerFor(id flowtable.FieldID, v Version) (fieldHeader, bool) {
	var best fieldHeader
	found := false
	for _, h := range fieldHeaders {
		if h.id != id {
			continue
		}
		if v == 0 {
			if !found || h.since < best.since {
				best, found = h, true
			}
			continue
		}
		if h.since <= v && (!found || h.since > best.since) {
			best, found = h, true
		}
	}
	return best, found
}

// fieldByHeader finds the field a wire header names; hasmask and length
// are ignored here and checked by the caller.
func fieldByHeader(hdr uint32) (fieldHeader, bool) {
	class, field := uint16(hdr>>16), uint8(hdr>>9)&0x7f
	for _, h := range fieldHeaders {
		if h.class == class && h.field == field {
			return h, true
		}
	}
	return fieldHeader{}, false
}

// appendHeader appends the 32-bit header of id for version v.
func appendHeader(b []byte, id flowtable.FieldID, v Version, mask bool) ([]byte, fieldHeader, error) {
	h, ok := headerFor(id, v)
	if !ok {
		return b, h, fmt.Errorf("openflow: field %s has no NXM/OXM name", fieldName(id))
	}
	return binary.BigEndian.AppendUint32(b, h.wire(mask)), h, nil
}

// parseFieldHeader reads a 32-bit field header at the start of b.
func parseFieldHeader(b []byte) (fieldHeader, bool, error) {
	if len(b) < 4 {
		return fieldHeader{}, false, fmt.Errorf("openflow: field header: %w", ErrShort)
	}
	hdr := binary.BigEndian.Uint32(b)
	if hdr>>16 == 0xffff {
		return fieldHeader{}, false, fmt.Errorf("openflow: experimenter field header %#08x not supported", hdr)
	}
	h, ok := fieldByHeader(hdr)
	if !ok {
		return h, false, fmt.Errorf("openflow: unknown field header %#08x", hdr)
	}
	mask := hdr&0x100 != 0
	n := uint8(hdr)
	if mask && n != 2*h.len || !mask && n != h.len {
		return h, false, fmt.Errorf("openflow: field header %#08x has length %d, want %d", hdr, n, h.len)
	}
	return h, mask, nil
}

// fieldName names id for error messages. ids here always come from
// fieldHeaders, which holds only fields flowtable defines.
func fieldName(id flowtable.FieldID) string {
	if _, ok := headerFor(id, 0); !ok {
		return fmt.Sprintf("field(%d)", id)
	}
	return flowtable.FieldByID(id).Name
}

// appendValue appends v as n big-endian bytes (n <= 16).
func appendValue(b []byte, v flowtable.Value, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		if i >= 8 {
			b = append(b, byte(v.Hi>>(8*(i-8))))
		} else {
			b = append(b, byte(v.Lo>>(8*i)))
		}
	}
	return b
}

// readValue reads n big-endian bytes (n <= 16).
func readValue(b []byte) flowtable.Value {
	var v flowtable.Value
	for _, c := range b {
		v.Hi = v.Hi<<8 | v.Lo>>56
		v.Lo = v.Lo<<8 | uint64(c)
	}
	return v
}
