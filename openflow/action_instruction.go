package openflow

import (
	"encoding/binary"
	"fmt"

	"github.com/gvs-project/gvs/flowtable"
)

// Instruction types (OFPIT_*).
const (
	itGotoTable    = 1
	itApplyActions = 4
)

// AppendInstructions appends acts as an OpenFlow 1.1+ instruction list
// the way Open vSwitch does: every action but a trailing GotoTable in one
// apply_actions instruction, then goto_table. An empty list encodes as no
// instructions (drop). OpenFlow 1.0 has no instructions: use AppendActions.
func AppendInstructions(b []byte, v Version, acts []flowtable.Action) ([]byte, error) {
	if v < OF11 || v > OF15 {
		return b, fmt.Errorf("openflow: instructions need OpenFlow 1.1 to 1.5, not %v", v)
	}
	var gt *flowtable.GotoTable
	if n := len(acts); n > 0 {
		if g, ok := acts[n-1].(flowtable.GotoTable); ok {
			gt, acts = &g, acts[:n-1]
		}
	}
	if len(acts) > 0 {
		start := len(b)
		b = append(b, 0, itApplyActions, 0, 0, 0, 0, 0, 0)
		var err error
		if b, err = AppendActions(b, v, acts); err != nil {
			return b[:start], err
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	}
	if gt != nil {
		b = append(b, 0, itGotoTable, 0, 8, gt.Table, 0, 0, 0)
	}
	return b, nil
}

// ParseInstructions decodes an OpenFlow 1.1+ instruction list into the
// flowtable actions it stands for: the apply_actions actions, then
// GotoTable. Other instructions are refused.
func ParseInstructions(v Version, b []byte) ([]flowtable.Action, error) {
	if v < OF11 || v > OF15 {
		return nil, fmt.Errorf("openflow: instructions need OpenFlow 1.1 to 1.5, not %v", v)
	}
	var acts []flowtable.Action
	var gt []flowtable.Action
	seen := map[uint16]bool{}
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return nil, fmt.Errorf("openflow: instruction at %d: %w", off, ErrShort)
		}
		t, n := u16(b[off:]), int(u16(b[off+2:]))
		if n < 8 || n%8 != 0 || off+n > len(b) {
			return nil, fmt.Errorf("openflow: instruction at %d has bad length %d", off, n)
		}
		if seen[t] {
			return nil, fmt.Errorf("openflow: instruction type %d appears twice", t)
		}
		seen[t] = true
		switch t {
		case itApplyActions:
			a, err := ParseActions(v, b[off+8:off+n])
			if err != nil {
				return nil, fmt.Errorf("openflow: apply_actions: %w", err)
			}
			acts = a
		case itGotoTable:
			if n != 8 {
				return nil, fmt.Errorf("openflow: goto_table instruction of %d bytes", n)
			}
			if b[off+4] == 0xff {
				return nil, fmt.Errorf("openflow: goto_table 255")
			}
			gt = []flowtable.Action{flowtable.GotoTable{Table: b[off+4]}}
		default:
			return nil, fmt.Errorf("openflow: unsupported instruction type %d", t)
		}
		off += n
	}
	return append(acts, gt...), nil
}
