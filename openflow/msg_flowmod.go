package openflow

import (
	"encoding/binary"

	"github.com/gvs-project/gvs/flowtable"
)

// Flow mod commands (ofp_flow_mod_command).
const (
	FlowAdd          = 0
	FlowModify       = 1
	FlowModifyStrict = 2
	FlowDelete       = 3
	FlowDeleteStrict = 4
)

// FlowMod is a flow table modification in any of its three wire forms:
// OpenFlow 1.0's OFPT_FLOW_MOD with an ofp10_match, Nicira's NXT_FLOW_MOD
// with an nx_match (OpenFlow 1.0 with NXM), and OpenFlow 1.2+'s
// OFPT_FLOW_MOD with an OXM match.
type FlowMod struct {
	Version Version
	XID     uint32
	NXM     bool // OpenFlow 1.0 only: NXT_FLOW_MOD rather than OFPT_FLOW_MOD
	Command uint8
	// TableID: in OpenFlow 1.0 forms the high byte of the 16-bit command,
	// which OVS reads once NXT_FLOW_MOD_TABLE_ID is on.
	TableID uint8
	// Cookie and CookieMask: the header's fields in OpenFlow 1.0 (no mask)
	// and 1.1+ forms; in NXT_FLOW_MOD the NXM_NX_COOKIE match entry, the
	// header's cookie being NewCookie.
	Cookie     uint64
	CookieMask uint64
	// NewCookie is NXT_FLOW_MOD's header cookie: the cookie an add
	// installs; all ones leaves modified flows' cookies alone.
	NewCookie   uint64
	IdleTimeout uint16
	HardTimeout uint16
	Priority    uint16
	BufferID    uint32
	OutPort     flowtable.Port // OpenFlow 1.0 numbering; PortNone is any
	OutGroup    uint32         // OpenFlow 1.1+
	Flags       uint16
	Importance  uint16 // OpenFlow 1.4+
	Match       flowtable.Match
	// Actions holds the actions (OpenFlow 1.0 forms) or instructions
	// (1.1+), undecoded; after ParseFlowMod it aliases the message.
	Actions []byte
}

// nxtFlowModLen and ofpFlowModLen are the fixed parts before the match.
const (
	nxtFlowModLen  = 48
	of10FlowModLen = HeaderLen + OF10MatchLen + 24
	ofpFlowModLen  = 48
)

// AppendFlowMod appends f in the form its Version and NXM select.
func AppendFlowMod(b []byte, f *FlowMod) ([]byte, error) {
	start := len(b)
	be16 := binary.BigEndian.AppendUint16
	be32 := binary.BigEndian.AppendUint32
	var err error
	switch {
	case f.Version == OF10 && f.NXM:
		b = appendMsg(b, OF10, TypeExperimenter, f.XID)
		b = be32(be32(b, NiciraID), NXTFlowMod)
		b = binary.BigEndian.AppendUint64(b, f.NewCookie)
		b = be16(b, uint16(f.TableID)<<8|uint16(f.Command))
		b = be16(be16(be16(b, f.IdleTimeout), f.HardTimeout), f.Priority)
		b = be32(b, f.BufferID)
		b = be16(be16(b, uint16(f.OutPort)), f.Flags)
		lenAt := len(b)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
		mstart := len(b)
		ck := nxCookie{}
		if f.CookieMask != 0 {
			ck = nxCookie{f.Cookie, f.CookieMask}
		}
		if b, err = appendRaw(b, 0, &f.Match, ck); err != nil {
			return b[:start], err
		}
		binary.BigEndian.PutUint16(b[lenAt:], uint16(len(b)-mstart))
		b = appendPad8(b, len(b)-mstart)
	case f.Version == OF10:
		if f.CookieMask != 0 && f.CookieMask != ^uint64(0) {
			return b, ofErrorf("OpenFlow 1.0 flow mod has no cookie mask")
		}
		b = appendMsg(b, OF10, TypeFlowMod, f.XID)
		if b, err = AppendOF10Match(b, &f.Match); err != nil {
			return b[:start], err
		}
		b = binary.BigEndian.AppendUint64(b, f.Cookie)
		b = be16(b, uint16(f.TableID)<<8|uint16(f.Command))
		b = be16(be16(be16(b, f.IdleTimeout), f.HardTimeout), f.Priority)
		b = be32(b, f.BufferID)
		b = be16(be16(b, uint16(f.OutPort)), f.Flags)
	case f.Version >= OF12:
		b = appendMsg(b, f.Version, TypeFlowMod, f.XID)
		b = binary.BigEndian.AppendUint64(b, f.Cookie)
		b = binary.BigEndian.AppendUint64(b, f.CookieMask)
		b = append(b, f.TableID, f.Command)
		b = be16(be16(be16(b, f.IdleTimeout), f.HardTimeout), f.Priority)
		b = be32(b, f.BufferID)
		b = be32(b, uint32(port11(uint16(f.OutPort))))
		b = be32(b, f.OutGroup)
		imp := f.Importance
		if f.Version < OF14 {
			imp = 0
		}
		b = be16(be16(b, f.Flags), imp)
		if b, err = AppendOXMatch(b, f.Version, &f.Match); err != nil {
			return b[:start], err
		}
	default:
		return b, ofErrorf("no flow mod codec for %v", f.Version)
	}
	b = append(b, f.Actions...)
	if len(b)-start > 0xffff {
		return b[:start], ofErrorf("flow mod of %d bytes is too long", len(b)-start)
	}
	SetLength(b[start:])
	return b, nil
}

// ParseFlowMod decodes any of the three flow mod forms. Match errors are
// *MatchError.
func ParseFlowMod(msg []byte) (*FlowMod, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return nil, err
	}
	if int(h.Length) != len(msg) {
		return nil, ofErrorf("flow mod length %d in %d bytes", h.Length, len(msg))
	}
	f := &FlowMod{Version: h.Version, XID: h.XID}
	u16 := func(off int) uint16 { return binary.BigEndian.Uint16(msg[off:]) }
	u32 := func(off int) uint32 { return binary.BigEndian.Uint32(msg[off:]) }
	switch {
	case h.Version == OF10 && h.Type == TypeExperimenter:
		if len(msg) < nxtFlowModLen || u32(8) != NiciraID || u32(12) != NXTFlowMod {
			return nil, ofErrorf("not an NXT_FLOW_MOD")
		}
		f.NXM = true
		f.NewCookie = binary.BigEndian.Uint64(msg[16:])
		cmd := u16(24)
		f.Command, f.TableID = uint8(cmd), uint8(cmd>>8)
		f.IdleTimeout, f.HardTimeout, f.Priority = u16(26), u16(28), u16(30)
		f.BufferID = u32(32)
		f.OutPort, f.Flags = flowtable.Port(u16(36)), u16(38)
		n := int(u16(40))
		end := nxtFlowModLen + (n+7)&^7
		if end > len(msg) {
			return nil, matchErr(BadMatchLen, "nx_match of %d bytes in a %d-byte flow mod", n, len(msg))
		}
		var ck nxCookie
		if err := decodeTLVs(msg[nxtFlowModLen:nxtFlowModLen+n], &f.Match, &ck); err != nil {
			return nil, err
		}
		if ck.mask != 0 {
			f.Cookie, f.CookieMask = ck.value, ck.mask
		}
		f.Actions = msg[end:]
	case h.Version == OF10 && h.Type == TypeFlowMod:
		if len(msg) < of10FlowModLen {
			return nil, ofErrorf("OpenFlow 1.0 flow mod of %d bytes", len(msg))
		}
		m, err := ParseOF10Match(msg[HeaderLen:])
		if err != nil {
			return nil, err
		}
		f.Match = *m
		o := HeaderLen + OF10MatchLen
		f.Cookie = binary.BigEndian.Uint64(msg[o:])
		cmd := u16(o + 8)
		f.Command, f.TableID = uint8(cmd), uint8(cmd>>8)
		f.IdleTimeout, f.HardTimeout, f.Priority = u16(o+10), u16(o+12), u16(o+14)
		f.BufferID = u32(o + 16)
		f.OutPort, f.Flags = flowtable.Port(u16(o+20)), u16(o+22)
		f.Actions = msg[of10FlowModLen:]
	case h.Version >= OF12 && h.Version <= OF15 && h.Type == TypeFlowMod:
		if len(msg) < ofpFlowModLen+8 {
			return nil, ofErrorf("flow mod of %d bytes", len(msg))
		}
		f.Cookie = binary.BigEndian.Uint64(msg[8:])
		f.CookieMask = binary.BigEndian.Uint64(msg[16:])
		f.TableID, f.Command = msg[24], msg[25]
		f.IdleTimeout, f.HardTimeout, f.Priority = u16(26), u16(28), u16(30)
		f.BufferID = u32(32)
		p, err := port10(u32(36))
		if err != nil {
			return nil, err
		}
		f.OutPort, f.OutGroup, f.Flags = p, u32(40), u16(44)
		if h.Version >= OF14 {
			f.Importance = u16(46)
		}
		m, n, err := ParseOXMatch(h.Version, msg[ofpFlowModLen:])
		if err != nil {
			return nil, err
		}
		f.Match = *m
		f.Actions = msg[ofpFlowModLen+n:]
	default:
		return nil, ofErrorf("%v message type %d is no flow mod gvs decodes", h.Version, h.Type)
	}
	return f, nil
}

// port10 converts a 32-bit OpenFlow 1.1+ port number to OpenFlow 1.0's.
func port10(p uint32) (flowtable.Port, error) {
	switch {
	case p >= 0xffffff00:
		return flowtable.Port(p - 0xffff0000), nil
	case p >= 0xff00:
		return 0, ofErrorf("port %#x is outside OpenFlow 1.0's range", p)
	}
	return flowtable.Port(p), nil
}
