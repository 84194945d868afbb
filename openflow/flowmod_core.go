package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// Wire flow mod flags (OFPFF_*). OpenFlow 1.0's bit 2 is OFPFF_EMERG;
// from 1.3 it is OFPFF_RESET_COUNTS.
const (
	ffSendFlowRem  = 1 << 0
	ffCheckOverlap = 1 << 1
	ff10Emerg      = 1 << 2
	ffResetCounts  = 1 << 2
	ffNoPktCounts  = 1 << 3
	ffNoBytCounts  = 1 << 4
)

// of10WildAll is OFPFW10_ALL: every wildcard bit of an ofp10_match.
const of10WildAll = 1<<22 - 1

// DecodeFlowMod decodes a flow mod message received on a connection that
// negotiated version v (OpenFlow 1.0 OFPT_FLOW_MOD, NXT_FLOW_MOD, or
// OpenFlow 1.2+ OFPT_FLOW_MOD) into the flowtable.FlowMod that
// flowtable.Tables.Apply takes, with Open vSwitch's semantics. In the
// OpenFlow 1.0 forms the table id in the command's high byte is honoured,
// as once NXT_FLOW_MOD_TABLE_ID is on; use DecodeFlowModTableID for a
// connection where it is off. The flow's Created time is left zero: Apply
// stamps it.
func DecodeFlowMod(v Version, msg []byte) (*flowtable.FlowMod, error) {
	return DecodeFlowModTableID(v, msg, true)
}

// DecodeFlowModTableID is DecodeFlowMod for an OpenFlow 1.0 connection
// whose NXT_FLOW_MOD_TABLE_ID setting is tableID: when it is off, the
// command's high byte is ignored and the mod acts on every table (an add
// goes to table 0). For OpenFlow 1.2+ tableID is not used.
//
// Cookies follow Open vSwitch: an add installs the message's cookie (in
// NXT_FLOW_MOD the header's); a modify or delete selects flows by cookie
// under the cookie mask (in NXT_FLOW_MOD the NXM_NX_COOKIE match entry);
// an OpenFlow 1.0 or NXT_FLOW_MOD modify whose header cookie is not all
// ones also sets the modified flows' cookie. A message needing both a
// cookie selection and a new cookie is refused, flowtable.FlowMod having
// one cookie value. Buffered packets (buffer_id other than none), an
// out_group selector, OFPFF_EMERG and unknown flags are refused too.
func DecodeFlowModTableID(v Version, msg []byte, tableID bool) (*flowtable.FlowMod, error) {
	if len(msg) >= 1 && Version(msg[0]) != v {
		return nil, ofErrorf("flow mod of %v on a %v connection", Version(msg[0]), v)
	}
	w, err := ParseFlowMod(msg)
	if err != nil {
		return nil, fmt.Errorf("decode flow mod: %w", err)
	}
	if w.Command > FlowDeleteStrict {
		return nil, ofErrorf("unknown flow mod command %d", w.Command)
	}
	cmd := flowtable.Command(w.Command)
	del := cmd == flowtable.CmdDelete || cmd == flowtable.CmdDeleteStrict
	add := cmd == flowtable.CmdAdd
	if w.BufferID != 0xffffffff && !del {
		return nil, ofErrorf("flow mod refers to buffered packet %#x, but gvs buffers none", w.BufferID)
	}
	f := &flowtable.Flow{
		Priority:    w.Priority,
		IdleTimeout: w.IdleTimeout,
		HardTimeout: w.HardTimeout,
		Importance:  w.Importance,
		Match:       w.Match,
	}
	m := &flowtable.FlowMod{Command: cmd, Flow: f, OutPort: w.OutPort}
	if f.Flags, err = coreFlags(w.Version, w.Flags); err != nil {
		return nil, err
	}

	// Table.
	table := w.TableID
	if w.Version == OF10 && !tableID {
		table = 0xff
	}
	switch {
	case table != 0xff:
		f.Table = table
	case add && w.Version >= OF12:
		return nil, ofErrorf("flow add to table 255")
	case !add:
		m.AllTables = true
	}

	// Cookie.
	switch {
	case w.Version >= OF12:
		f.Cookie = w.Cookie
		if !add {
			m.CookieMask = w.CookieMask
		}
	case w.NXM:
		newCookie := w.NewCookie
		switch {
		case add:
			f.Cookie = newCookie
		case w.CookieMask != 0 && newCookie != ^uint64(0) && !del:
			return nil, ofErrorf("NXT_FLOW_MOD both selects by cookie and sets a new cookie")
		case w.CookieMask != 0:
			f.Cookie, m.CookieMask = w.Cookie, w.CookieMask
		case newCookie != ^uint64(0) && !del:
			f.Cookie, m.NewCookie = newCookie, true
		}
	default: // OpenFlow 1.0: one cookie, never a selector
		switch {
		case add:
			f.Cookie = w.Cookie
		case w.Cookie != ^uint64(0) && !del:
			f.Cookie, m.NewCookie = w.Cookie, true
		}
	}

	if w.Version >= OF12 && w.OutGroup != 0xffffffff && del {
		return nil, ofErrorf("out_group %d selector is not supported", w.OutGroup)
	}
	// OpenFlow 1.0: a match without wildcards is exact and outranks all.
	if w.Version == OF10 && !w.NXM && binary.BigEndian.Uint32(msg[HeaderLen:])&of10WildAll == 0 {
		f.Priority = 0xffff
	}

	if !del {
		var acts []flowtable.Action
		if w.Version == OF10 {
			acts, err = ParseActions(w.Version, w.Actions)
		} else {
			acts, err = ParseInstructions(w.Version, w.Actions)
		}
		if err != nil {
			return nil, fmt.Errorf("decode flow mod actions: %w", err)
		}
		f.Actions = acts
	}
	return m, nil
}

// coreFlags maps wire flow mod flags of version v to flowtable's.
func coreFlags(v Version, w uint16) (flowtable.FlowFlags, error) {
	var f flowtable.FlowFlags
	known := uint16(ffSendFlowRem | ffCheckOverlap)
	if v >= OF13 {
		known |= ffResetCounts | ffNoPktCounts | ffNoBytCounts
	}
	if v == OF10 && w&ff10Emerg != 0 {
		return 0, ofErrorf("emergency flows are not supported")
	}
	if w&^known != 0 {
		return 0, ofErrorf("unknown %v flow mod flags %#x", v, w&^known)
	}
	for _, b := range []struct {
		wire uint16
		flag flowtable.FlowFlags
	}{
		{ffSendFlowRem, flowtable.FlagSendFlowRem},
		{ffCheckOverlap, flowtable.FlagCheckOverlap},
		{ffResetCounts, flowtable.FlagResetCounts},
		{ffNoPktCounts, flowtable.FlagNoPacketCounts},
		{ffNoBytCounts, flowtable.FlagNoByteCounts},
	} {
		if w&b.wire != 0 {
			f |= b.flag
		}
	}
	return f, nil
}
