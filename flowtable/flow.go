package flowtable

import (
	"sync/atomic"
	"time"
)

// DefaultPriority is the priority of a flow that does not give one.
const DefaultPriority = 32768

// NumTables is the number of flow tables of a bridge (0..254).
const NumTables = 255

// FlowFlags are the OpenFlow flow-mod flags that gvs keeps.
type FlowFlags uint8

const (
	FlagSendFlowRem FlowFlags = 1 << iota
	FlagCheckOverlap
	FlagResetCounts
	FlagNoPacketCounts
	FlagNoByteCounts
)

// Flow is one flow entry. The fields above the counters are its definition
// and never change once the flow is in a table; the counters are updated by
// the datapath without locks.
type Flow struct {
	Table       uint8
	Priority    uint16
	Cookie      uint64
	IdleTimeout uint16 // seconds, 0 = none
	HardTimeout uint16 // seconds, 0 = none
	Importance  uint16
	Flags       FlowFlags
	Match       Match
	Actions     []Action

	// Created is when the flow was added (modify keeps it).
	Created time.Time

	nPackets atomic.Uint64
	nBytes   atomic.Uint64
	used     atomic.Int64 // unix nanoseconds of the last hit, 0 = never
	soft     bool         // actions are only conjunction (and note)

	// modified is when the hard timeout started counting (unix ns): the
	// add, the last modify, or the last learn refresh, as Open vSwitch
	// keeps rule->modified. Atomic so that a learn refresh of an unchanged
	// flow needs no table rebuild.
	modified atomic.Int64
	// finIdle and finHard are the timeouts a fin_timeout action lowered
	// (0: not lowered), atomic since the datapath lowers them.
	finIdle, finHard atomic.Uint32
	seq              uint64 // insertion order, for a stable dump order
	owned            bool   // installed in a table once (guarded by the writer mutex)
}

// Timeouts returns the idle and hard timeouts in effect: IdleTimeout and
// HardTimeout, or lower ones a fin_timeout action set.
func (f *Flow) Timeouts() (idle, hard uint16) {
	idle, hard = f.IdleTimeout, f.HardTimeout
	if v := uint16(f.finIdle.Load()); v != 0 {
		idle = v
	}
	if v := uint16(f.finHard.Load()); v != 0 {
		hard = v
	}
	return idle, hard
}

// lowerTimeouts lowers the timeouts in effect to idle and hard seconds
// where those are nonzero and lower, or the flow had none, as OVS's
// fin_timeout does (the hard timeout still counts from Modified).
func (f *Flow) lowerTimeouts(idle, hard uint16) {
	cur, curHard := f.Timeouts()
	if idle != 0 && (cur == 0 || idle < cur) {
		f.finIdle.Store(uint32(idle))
	}
	if hard != 0 && (curHard == 0 || hard < curHard) {
		f.finHard.Store(uint32(hard))
	}
}

// Modified returns when the flow's hard timeout started counting: when it
// was added, last modified, or last refreshed by a learn action.
func (f *Flow) Modified() time.Time {
	if m := f.modified.Load(); m != 0 {
		return time.Unix(0, m)
	}
	return f.Created
}

// cloneDef returns a new flow with f's definition (not its counters).
func (f *Flow) cloneDef() *Flow {
	return &Flow{
		Table: f.Table, Priority: f.Priority, Cookie: f.Cookie,
		IdleTimeout: f.IdleTimeout, HardTimeout: f.HardTimeout,
		Importance: f.Importance, Flags: f.Flags, Match: f.Match,
		Actions: f.Actions, Created: f.Created, soft: f.soft,
	}
}

// Hit counts one packet of n bytes against the flow at time now (unix ns).
func (f *Flow) Hit(n int, now int64) {
	f.nPackets.Add(1)
	f.nBytes.Add(uint64(n))
	// Ages are shown in seconds: refresh the last-use time at most once a
	// millisecond, sparing a locked store on most packets.
	if now-f.used.Load() >= int64(time.Millisecond) {
		f.used.Store(now)
	}
}

// Stats returns the flow's packet and byte counters.
func (f *Flow) Stats() (packets, bytes uint64) { return f.nPackets.Load(), f.nBytes.Load() }

// Used returns when the flow last matched a packet (zero time if never).
func (f *Flow) Used() time.Time {
	if u := f.used.Load(); u != 0 {
		return time.Unix(0, u)
	}
	return time.Time{}
}

// IsConjunctive reports whether the flow only contributes to conjunctive
// matches (all its actions are conjunction or note, and at least one is a
// conjunction).
func (f *Flow) IsConjunctive() bool { return f.soft }

func isSoft(acts []Action) bool {
	conj := false
	for _, a := range acts {
		switch a.(type) {
		case Conjunction:
			conj = true
		case Note:
		default:
			return false
		}
	}
	return conj
}

// copyStats carries counters over from old (modify without reset_counts).
func (f *Flow) copyStats(old *Flow) {
	f.nPackets.Store(old.nPackets.Load())
	f.nBytes.Store(old.nBytes.Load())
	f.used.Store(old.used.Load())
}

// Command is the kind of a flow modification.
type Command uint8

const (
	CmdAdd Command = iota
	CmdModify
	CmdModifyStrict
	CmdDelete
	CmdDeleteStrict
)

func (c Command) String() string {
	return [...]string{"add", "modify", "modify_strict", "delete", "delete_strict"}[c]
}

// FlowMod is a parsed flow modification: the flow it carries plus the
// selectors that modify and delete use.
type FlowMod struct {
	Command Command
	Flow    *Flow
	// AllTables: no table was given, so modify and delete act on every table
	// (an add without a table goes to table 0).
	AllTables  bool
	CookieMask uint64 // cookie=V/M selects flows whose cookie&M == V&M
	// NewCookie: a modify gave cookie=V without a mask, which (OpenFlow
	// 1.0 with Nicira extensions, as ovs-ofctl sends it) sets the modified
	// flows' cookie to V.
	NewCookie bool
	OutPort   Port // out_port: only flows that output to this port (PortNone = any)
}
