package openflow

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Version is an OpenFlow wire protocol version, as in ofp_header.version.
type Version uint8

// The versions gvs speaks.
const (
	OF10 Version = 0x01
	OF11 Version = 0x02
	OF12 Version = 0x03
	OF13 Version = 0x04
	OF14 Version = 0x05
	OF15 Version = 0x06
)

// String names v as ovs-ofctl's -O option does ("OpenFlow13").
func (v Version) String() string {
	switch v {
	case OF10, OF11, OF12, OF13, OF14, OF15:
		return fmt.Sprintf("OpenFlow1%d", uint8(v)-1)
	}
	return fmt.Sprintf("OpenFlow(0x%02x)", uint8(v))
}

// ParseVersion accepts the names Bridge.protocols and ovs-ofctl -O use.
func ParseVersion(s string) (Version, error) {
	for v := OF10; v <= OF15; v++ {
		if s == v.String() {
			return v, nil
		}
	}
	return 0, fmt.Errorf("openflow: unknown version %q", s)
}

// HeaderLen is the length of ofp_header.
const HeaderLen = 8

// Header is ofp_header: every message starts with it.
type Header struct {
	Version Version
	Type    uint8
	Length  uint16 // whole message, header included
	XID     uint32
}

// ErrShort reports a buffer shorter than what it claims to hold.
var ErrShort = errors.New("openflow: message truncated")

// ParseHeader reads the header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, ErrShort
	}
	h := Header{Version(b[0]), b[1], binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[4:])}
	if h.Length < HeaderLen {
		return h, fmt.Errorf("openflow: header length %d below %d", h.Length, HeaderLen)
	}
	return h, nil
}

// AppendHeader appends h to b. Callers usually write Length later with
// SetLength once the body is known.
func AppendHeader(b []byte, h Header) []byte {
	return append(b, byte(h.Version), h.Type, byte(h.Length>>8), byte(h.Length),
		byte(h.XID>>24), byte(h.XID>>16), byte(h.XID>>8), byte(h.XID))
}

// SetLength writes len(msg) into msg's header.
func SetLength(msg []byte) {
	binary.BigEndian.PutUint16(msg[2:], uint16(len(msg)))
}
