package openflow

import (
	"encoding/binary"
	"fmt"
)

func ofErrorf(format string, args ...any) error {
	return fmt.Errorf("openflow: "+format, args...)
}

// Hello is OFPT_HELLO. Versions is the sender's version bitmap (bit n set
// for wire version n); Version in the header is the highest of them.
type Hello struct {
	XID      uint32
	Versions uint32
}

// AppendHello appends h as ovs-vswitchd does: the version bitmap element
// is sent only when the versions are not simply 1.0 up to the highest.
func AppendHello(b []byte, h Hello) []byte {
	max := Version(0)
	for v := 31; v > 0; v-- {
		if h.Versions&(1<<uint(v)) != 0 {
			max = Version(v)
			break
		}
	}
	start := len(b)
	b = appendMsg(b, max, TypeHello, h.XID)
	if contig := h.Versions>>1 + 1; contig&(contig-1) != 0 {
		b = append(b, 0, 1, 0, 8) // OFPHET_VERSIONBITMAP, length 8
		b = binary.BigEndian.AppendUint32(b, h.Versions)
	}
	SetLength(b[start:])
	return b
}

// ParseHello decodes an OFPT_HELLO. Without a version bitmap the sender
// is taken to speak every version up to the header's.
func ParseHello(msg []byte) (Hello, error) {
	hd, body, err := checkMsg(msg, TypeHello, HeaderLen)
	if err != nil {
		return Hello{}, err
	}
	h := Hello{XID: hd.XID}
	for len(body) >= 4 {
		typ, l := binary.BigEndian.Uint16(body), int(binary.BigEndian.Uint16(body[2:]))
		if l < 4 || l > len(body) {
			return h, ofErrorf("hello element of length %d in %d bytes", l, len(body))
		}
		if typ == 1 && l >= 8 {
			h.Versions = binary.BigEndian.Uint32(body[4:]) &^ 1 // bit 0 names no version
		}
		body = body[min((l+7)&^7, len(body)):]
	}
	if h.Versions == 0 && hd.Version < 32 {
		h.Versions = (uint32(1)<<(uint(hd.Version)+1) - 1) &^ 1
	}
	return h, nil
}

// Echo is OFPT_ECHO_REQUEST or OFPT_ECHO_REPLY with its payload.
type Echo struct {
	Version Version
	XID     uint32
	Reply   bool
	Data    []byte
}

// AppendEcho appends e.
func AppendEcho(b []byte, e Echo) []byte {
	t := uint8(TypeEchoRequest)
	if e.Reply {
		t = TypeEchoReply
	}
	start := len(b)
	b = append(appendMsg(b, e.Version, t, e.XID), e.Data...)
	SetLength(b[start:])
	return b
}

// ParseEcho decodes an echo request or reply; Data aliases msg.
func ParseEcho(msg []byte) (Echo, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return Echo{}, err
	}
	t := uint8(TypeEchoRequest)
	if h.Type == TypeEchoReply {
		t = TypeEchoReply
	}
	h, body, err := checkMsg(msg, t, HeaderLen)
	if err != nil {
		return Echo{}, err
	}
	return Echo{Version: h.Version, XID: h.XID, Reply: t == TypeEchoReply, Data: body}, nil
}

// Error is OFPT_ERROR: the type and code are those of the message's
// version (OpenFlow 1.0 numbers them differently from 1.2+), Data usually
// the start of the offending request.
type Error struct {
	Version Version
	XID     uint32
	Type    uint16
	Code    uint16
	Data    []byte
}

// AppendError appends e.
func AppendError(b []byte, e Error) []byte {
	start := len(b)
	b = appendMsg(b, e.Version, TypeError, e.XID)
	b = binary.BigEndian.AppendUint16(b, e.Type)
	b = binary.BigEndian.AppendUint16(b, e.Code)
	b = append(b, e.Data...)
	SetLength(b[start:])
	return b
}

// ParseError decodes an OFPT_ERROR; Data aliases msg.
func ParseError(msg []byte) (Error, error) {
	h, body, err := checkMsg(msg, TypeError, HeaderLen+4)
	if err != nil {
		return Error{}, err
	}
	return Error{Version: h.Version, XID: h.XID, Type: binary.BigEndian.Uint16(body),
		Code: binary.BigEndian.Uint16(body[2:]), Data: body[4:]}, nil
}

// AppendEmpty appends a message that is only a header: features request,
// get-config request, barrier request or reply.
func AppendEmpty(b []byte, v Version, t uint8, xid uint32) []byte {
	return appendMsg(b, v, t, xid)
}

// FeaturesReply is OFPT_FEATURES_REPLY. Ports holds the port descriptions
// OpenFlow 1.0 to 1.2 append, raw.
type FeaturesReply struct {
	Version      Version
	XID          uint32
	DatapathID   uint64
	NBuffers     uint32
	NTables      uint8
	AuxiliaryID  uint8 // OpenFlow 1.3+
	Capabilities uint32
	Actions      uint32 // OpenFlow 1.0 supported actions; reserved later
	Ports        []byte
}

// AppendFeaturesReply appends f.
func AppendFeaturesReply(b []byte, f FeaturesReply) []byte {
	start := len(b)
	b = appendMsg(b, f.Version, TypeFeaturesReply, f.XID)
	b = binary.BigEndian.AppendUint64(b, f.DatapathID)
	b = binary.BigEndian.AppendUint32(b, f.NBuffers)
	aux := f.AuxiliaryID
	if f.Version < OF13 {
		aux = 0
	}
	b = append(b, f.NTables, aux, 0, 0)
	b = binary.BigEndian.AppendUint32(b, f.Capabilities)
	b = binary.BigEndian.AppendUint32(b, f.Actions)
	b = append(b, f.Ports...)
	SetLength(b[start:])
	return b
}

// ParseFeaturesReply decodes an OFPT_FEATURES_REPLY; Ports aliases msg.
func ParseFeaturesReply(msg []byte) (FeaturesReply, error) {
	h, body, err := checkMsg(msg, TypeFeaturesReply, HeaderLen+24)
	if err != nil {
		return FeaturesReply{}, err
	}
	f := FeaturesReply{Version: h.Version, XID: h.XID,
		DatapathID: binary.BigEndian.Uint64(body), NBuffers: binary.BigEndian.Uint32(body[8:]),
		NTables: body[12], Capabilities: binary.BigEndian.Uint32(body[16:]),
		Actions: binary.BigEndian.Uint32(body[20:]), Ports: body[24:]}
	if h.Version >= OF13 {
		f.AuxiliaryID = body[13]
	}
	return f, nil
}

// SwitchConfig is the body of OFPT_GET_CONFIG_REPLY and OFPT_SET_CONFIG.
type SwitchConfig struct {
	Version     Version
	XID         uint32
	Set         bool // OFPT_SET_CONFIG rather than a reply
	Flags       uint16
	MissSendLen uint16
}

// AppendSwitchConfig appends c as a get-config reply or set-config.
func AppendSwitchConfig(b []byte, c SwitchConfig) []byte {
	t := uint8(TypeGetConfigReply)
	if c.Set {
		t = TypeSetConfig
	}
	start := len(b)
	b = appendMsg(b, c.Version, t, c.XID)
	b = binary.BigEndian.AppendUint16(b, c.Flags)
	b = binary.BigEndian.AppendUint16(b, c.MissSendLen)
	SetLength(b[start:])
	return b
}

// ParseSwitchConfig decodes a get-config reply or set-config.
func ParseSwitchConfig(msg []byte) (SwitchConfig, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return SwitchConfig{}, err
	}
	t := uint8(TypeGetConfigReply)
	if h.Type == TypeSetConfig {
		t = TypeSetConfig
	}
	h, body, err := checkMsg(msg, t, HeaderLen+4)
	if err != nil {
		return SwitchConfig{}, err
	}
	return SwitchConfig{Version: h.Version, XID: h.XID, Set: t == TypeSetConfig,
		Flags: binary.BigEndian.Uint16(body), MissSendLen: binary.BigEndian.Uint16(body[2:])}, nil
}
