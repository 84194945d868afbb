package flowtable

import "math/bits"

// Port is an OpenFlow port number in Open vSwitch's 16-bit space: 1..0xfeff
// are switch ports, the values from 0xfff8 up are reserved ports.
type Port uint16

// Reserved ports.
const (
	PortMax        Port = 0xff00
	PortInPort     Port = 0xfff8 // IN_PORT: back out of the ingress port
	PortTable      Port = 0xfff9 // TABLE: packet-out only
	PortNormal     Port = 0xfffa // NORMAL: the L2 learning switch
	PortFlood      Port = 0xfffb // FLOOD: all ports except ingress and no-flood ports
	PortAll        Port = 0xfffc // ALL: all ports except ingress
	PortController Port = 0xfffd // CONTROLLER
	PortLocal      Port = 0xfffe // LOCAL: the bridge's own interface
	PortNone       Port = 0xffff // NONE / ANY
)

// TableCurrent in Resubmit means "the table the action runs in".
const TableCurrent = 255

// Action is one OpenFlow action. Each concrete type lives in its own act_*
// file with everything about it: its ovs-ofctl names and parser (registered
// with registerAction), its printer, its prerequisites, the fields it
// reads and writes, and its translation. Actions are immutable once a flow
// is installed.
type Action interface {
	// Translate applies the action to k, the packet t is translating. It
	// returns false when the rest of the flow's action list must not run
	// (as dec_ttl at TTL 1); the caller's own list goes on. Translate
	// allocates nothing unless the Translator does.
	Translate(k *Key, t Translator) bool
	// Access adds to reads the fields whose values the action depends on,
	// and to writes the fields it may change: what a flow cache must
	// unwildcard, and what it must not assume constant, after the action.
	Access(reads, writes *FieldSet)
	// format appends the action's spelling in the dump shape aw is set for.
	format(aw *actionWriter)
}

// Translator is what an action translates against, beside the packet's
// key: one traversal of one packet through a bridge's tables. The datapath
// implements it; none of its methods may allocate on the per-packet path.
type Translator interface {
	// Output sends the packet as its key describes it to port p, a switch
	// port or a reserved port (IN_PORT, NORMAL, FLOOD, ALL, LOCAL,
	// CONTROLLER).
	Output(p Port)
	// Resubmit looks the packet up in table (TableCurrent: the table of
	// the running flow) with in_port replaced by in (PortInPort:
	// unchanged) for the lookup only, runs the matched flow's actions and
	// returns.
	Resubmit(in Port, table uint8)
	// PushVLAN records the TPID of the VLAN header that the next output
	// pushes when the packet has none.
	PushVLAN(tpid uint16)
	// Learn adds or refreshes the flow l builds from the key.
	Learn(l Learn)
	// Conntrack sends the packet through connection tracking.
	Conntrack(c CT)
	// Controller sends the packet to the controller as a packet-in with
	// reason c.Reason ("" = action) and c.MaxLen; output:CONTROLLER is
	// Controller{MaxLen: 65535}.
	Controller(c Controller)
	// FinTimeout lowers the running flow's timeouts (fin_timeout, on a TCP
	// packet with FIN or RST).
	FinTimeout(ft FinTimeout)
	// TTLExceeded reports that dec_ttl found a TTL of 0 or 1: the packet
	// is dropped.
	TTLExceeded()
}

// FieldSet is a set of fields, as Action.Access reports them.
type FieldSet [(numFields + 63) / 64]uint64

// Add puts the fields ids in s.
func (s *FieldSet) Add(ids ...FieldID) {
	for _, id := range ids {
		s[id/64] |= 1 << (id % 64)
	}
}

// Has reports whether id is in s.
func (s *FieldSet) Has(id FieldID) bool { return s[id/64]&(1<<(id%64)) != 0 }

// AddTo sets in the wildcard mask wc every bit of the fields in s: what a
// cache of translations must match on once an action read or wrote them.
func (s *FieldSet) AddTo(wc *Key) {
	for w, set := range s {
		for ; set != 0; set &= set - 1 {
			id := FieldID(w*64 + bits.TrailingZeros64(set))
			if f := FieldByID(id); f != nil && f.ID != FieldNone {
				wc.Set(f, f.FullMask())
			}
		}
	}
}

// Subfield is a bit range of a field: NXM_NX_REG6[0..15].
type Subfield struct {
	Field FieldID
	Ofs   int // first bit, 0 = least significant
	Bits  int // number of bits
}

// actionArg is one action as the parser found it: name:arg, name=arg,
// name(arg) or a bare name.
type actionArg struct {
	pc    piece  // the whole action text and where it starts
	name  string // as written (the lookup ignores case)
	arg   string
	paren bool // arg was written in parentheses
	col   int  // where arg starts
}

// actionParser parses one action spelled with a name it was registered
// under. st is the packet as the earlier actions of the list leave it, for
// the prerequisite checks; a parser updates it when its action changes
// what later ones may require.
type actionParser func(p *parser, a actionArg, st *actState) (Action, error)

// actionParsers is the one table of action names, lower case.
var actionParsers = map[string]actionParser{}

// registerAction makes names parse with fn. Each act_* file registers its
// own names in an init function.
func registerAction(fn actionParser, names ...string) {
	for _, n := range names {
		if _, dup := actionParsers[n]; dup {
			panic("flowtable: action " + n + " registered twice")
		}
		actionParsers[n] = fn
	}
}
