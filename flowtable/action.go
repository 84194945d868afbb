package flowtable

import "net/netip"

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

// Action is one OpenFlow action. The concrete types below are the whole set;
// the datapath executes them with a type switch. Actions are immutable once
// a flow is installed.
type Action interface{ isAction() }

// Subfield is a bit range of a field: NXM_NX_REG6[0..15].
type Subfield struct {
	Field FieldID
	Ofs   int // first bit, 0 = least significant
	Bits  int // number of bits
}

// Output sends the packet to Port (a switch port or NORMAL, FLOOD, ALL,
// LOCAL, IN_PORT). MaxLen matters only for CONTROLLER.
type Output struct {
	Port   Port
	MaxLen uint16
}

// OutputReg sends the packet to the port number held in Src.
type OutputReg struct {
	Src    Subfield
	MaxLen uint16
}

// Controller sends the packet to the controller (gvs counts and drops it
// while no controller channel exists).
type Controller struct {
	MaxLen uint16
	Reason string // "" = action (default)
	ID     uint16
	// Pause and userdata are not supported.
}

// Resubmit looks the packet up in Table (TableCurrent = this table) with
// in_port replaced by InPort (PortInPort = unchanged), runs the matched
// actions and returns to run the rest of this list.
type Resubmit struct {
	InPort Port
	Table  uint8
	CT     bool // resubmit(...,ct): look up with the original ct tuple (unsupported beyond parsing)
}

// GotoTable continues the pipeline in Table after this flow's actions.
type GotoTable struct{ Table uint8 }

// SetVLANVID sets the VLAN ID. mod_vlan_vid pushes an 802.1Q header first
// when the packet has none (Push); the OpenFlow 1.1 action does not.
type SetVLANVID struct {
	VID  uint16
	Push bool
}

// SetVLANPCP sets the VLAN priority; like SetVLANVID it may push a header.
type SetVLANPCP struct {
	PCP  uint8
	Push bool
}

// StripVLAN removes the outermost VLAN header (strip_vlan, pop_vlan).
type StripVLAN struct{}

// PushVLAN adds a VLAN header with the given TPID (0x8100 or 0x88a8) and
// the TCI of the inner tag if there was one, VID 0 otherwise.
type PushVLAN struct{ Ethertype uint16 }

// SetEthAddr rewrites the source (or destination) MAC: mod_dl_src/mod_dl_dst.
type SetEthAddr struct {
	Dst bool
	MAC [6]byte
}

// SetIPv4Addr rewrites the IPv4 source (or destination): mod_nw_src/dst.
type SetIPv4Addr struct {
	Dst  bool
	Addr [4]byte
}

// SetIPTOS sets the DSCP bits from a TOS byte (mod_nw_tos; the ECN bits stay).
type SetIPTOS struct{ TOS uint8 }

// SetIPECN sets the ECN bits (mod_nw_ecn).
type SetIPECN struct{ ECN uint8 }

// SetIPTTL sets the TTL or hop limit (mod_nw_ttl).
type SetIPTTL struct{ TTL uint8 }

// SetL4Port rewrites the TCP/UDP/SCTP source (or destination) port.
type SetL4Port struct {
	Dst   bool
	Port  uint16
	Proto uint8 // the flow's nw_proto when it was parsed (for printing as set_field)
}

// DecTTL decrements the IP TTL; at 0 the packet goes to the controllers
// listed in IDs (none: ID 0) and is otherwise dropped.
type DecTTL struct{ IDs []uint16 }

// SetField writes Value under Mask into Field: set_field:V/M->F or
// load:V->F[a..b]. Load records the input spelling, which Open vSwitch
// keeps when it prints the flow back.
type SetField struct {
	Field FieldID
	Value Value
	Mask  Value
	Load  bool
}

// Move copies Src into Dst (equal widths).
type Move struct{ Src, Dst Subfield }

// SetTunnel sets tun_id (set_tunnel, or set_tunnel64 when Wide).
type SetTunnel struct {
	ID   uint64
	Wide bool
}

// Conjunction contributes dimension Clause (1-based) of NClauses to the
// conjunctive match ID. A flow whose actions are conjunctions (and notes)
// is never executed; see the classifier.
type Conjunction struct {
	ID       uint32
	Clause   uint8
	NClauses uint8
}

// CT sends the packet through connection tracking.
type CT struct {
	Commit  bool
	Force   bool
	Zone    uint16   // immediate zone, when ZoneSrc.Field == FieldNone
	ZoneSrc Subfield // zone=NXM_NX_REG6[0..15]
	Table   uint8    // recirculation table; TableCurrent (255) = none
	Alg     uint16   // alg=ftp|tftp port; 0 = none
	Exec    []Action // exec(...): only SetField on ct_mark/ct_label
	NAT     *NAT     // nat(...), nil = none
}

// NAT is the nat(...) clause of ct. With neither Src nor Dst it means
// "apply the NAT already recorded in the connection".
type NAT struct {
	Src, Dst           bool
	AddrMin, AddrMax   netip.Addr // invalid = not given
	PortMin, PortMax   uint16
	Persistent, Random bool
	Hash               bool
}

// CTClear resets the packet's conntrack state (ct_clear).
type CTClear struct{}

// Note carries opaque bytes; it does nothing.
type Note struct{ Data []byte }

// Learn adds or refreshes a flow built from the packet.
type Learn struct {
	Table          uint8
	Priority       uint16
	IdleTimeout    uint16
	HardTimeout    uint16
	FinIdleTimeout uint16
	FinHardTimeout uint16
	Cookie         uint64
	SendFlowRem    bool
	DeleteLearned  bool
	Specs          []LearnSpec
}

// LearnSpecKind is what a learn spec does in the learned flow.
type LearnSpecKind uint8

const (
	LearnMatch  LearnSpecKind = iota // match Dst against the source value
	LearnLoad                        // load the source value into Dst
	LearnOutput                      // output to the port in the source value
)

// LearnSpec is one spec of learn(...). The source is Src (a subfield of the
// packet being processed) unless SrcIsImm, in which case it is Imm.
type LearnSpec struct {
	Kind     LearnSpecKind
	Dst      Subfield // unused for LearnOutput
	Src      Subfield
	SrcIsImm bool
	Imm      Value
	// Spelling records the input form so the printer reproduces it:
	// FIELD[], DST[]=SRC[], FIELD=VALUE, load:..., output:...
	Spelling LearnSpelling
}

// LearnSpelling is the printed form of a learn spec.
type LearnSpelling uint8

const (
	LearnSpellSame   LearnSpelling = iota // NXM_OF_VLAN_TCI[0..11]: match the field against itself
	LearnSpellPair                        // DST[]=SRC[]
	LearnSpellImm                         // field=value (match against an immediate)
	LearnSpellLoad                        // load:SRC->DST or load:imm->DST
	LearnSpellOutput                      // output:SRC
)

func (Output) isAction()      {}
func (OutputReg) isAction()   {}
func (Controller) isAction()  {}
func (Resubmit) isAction()    {}
func (GotoTable) isAction()   {}
func (SetVLANVID) isAction()  {}
func (SetVLANPCP) isAction()  {}
func (StripVLAN) isAction()   {}
func (PushVLAN) isAction()    {}
func (SetEthAddr) isAction()  {}
func (SetIPv4Addr) isAction() {}
func (SetIPTOS) isAction()    {}
func (SetIPECN) isAction()    {}
func (SetIPTTL) isAction()    {}
func (SetL4Port) isAction()   {}
func (DecTTL) isAction()      {}
func (SetField) isAction()    {}
func (Move) isAction()        {}
func (SetTunnel) isAction()   {}
func (Conjunction) isAction() {}
func (CT) isAction()          {}
func (CTClear) isAction()     {}
func (Note) isAction()        {}
func (Learn) isAction()       {}
