package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// fieldHeader is one wire name of a field as the actions that name fields
// (reg_load, reg_move, set_field, learn, ct) use it: which class and field
// number, how many value bytes, and the first OpenFlow version that has it.
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

// fieldHeaders are the match codec's wire fields as actions name them:
// experimenter names are not used there, and the 32-bit OXM in_port is
// flowtable's in_port_oxm.
var fieldHeaders = func() []fieldHeader {
	var h []fieldHeader
	for _, w := range wireFields {
		if w.exp != 0 {
			continue
		}
		id := w.id
		if w.kind == kindInPortOXM {
			id = flowtable.FieldInPortOXM
		}
		h = append(h, fieldHeader{id, w.class, w.field, uint8(w.n), w.since})
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
