package openflow

// Message types common to every version (ofp_type).
const (
	TypeHello          = 0
	TypeError          = 1
	TypeEchoRequest    = 2
	TypeEchoReply      = 3
	TypeExperimenter   = 4 // OFPT_VENDOR in OpenFlow 1.0
	TypeFeaturesReq    = 5
	TypeFeaturesReply  = 6
	TypeGetConfigReq   = 7
	TypeGetConfigReply = 8
	TypeSetConfig      = 9
	TypeFlowMod        = 14
)

// Nicira experimenter ID and the NXT subtypes gvs decodes.
const (
	NiciraID        = 0x00002320
	NXTSetFlowFmt   = 12
	NXTFlowMod      = 13
	NXTFlowModTable = 15
)

// BarrierTypes returns the barrier request and reply types of v: they
// moved in OpenFlow 1.1.
func BarrierTypes(v Version) (request, reply uint8) {
	if v == OF10 {
		return 18, 19
	}
	return 20, 21
}

// appendMsg starts a message of version v, type t and xid; finish it with
// SetLength.
func appendMsg(b []byte, v Version, t uint8, xid uint32) []byte {
	return AppendHeader(b, Header{Version: v, Type: t, Length: HeaderLen, XID: xid})
}

// checkMsg parses the header of msg, checking its type and that its
// length is the buffer's and at least min; it returns the body.
func checkMsg(msg []byte, t uint8, min int) (Header, []byte, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return h, nil, err
	}
	if h.Type != t {
		return h, nil, ofErrorf("message type %d, want %d", h.Type, t)
	}
	if int(h.Length) != len(msg) || len(msg) < min {
		return h, nil, ofErrorf("type %d: length %d in %d bytes (minimum %d)", t, h.Length, len(msg), min)
	}
	return h, msg[HeaderLen:], nil
}
