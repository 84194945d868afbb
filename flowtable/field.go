package flowtable

// FieldID names a match or action field. Several IDs may share storage in a
// Key (for example TCPSrc, UDPSrc and ICMPType all live in tp_src); their
// prerequisites tell them apart.
type FieldID uint8

// The fields gvs knows, in no significant order.
const (
	FieldNone FieldID = iota
	FieldInPort
	FieldInPortOXM
	FieldEthSrc
	FieldEthDst
	FieldEthType
	FieldVLANTCI
	FieldVLANVID // OXM vlan_vid: 12-bit VID plus the 0x1000 "present" bit
	FieldVLANPCP
	FieldDLVLAN    // OpenFlow 1.0 dl_vlan: VID of a tagged frame
	FieldDLVLANPCP // OpenFlow 1.0 dl_vlan_pcp
	FieldARPOp
	FieldARPSPA
	FieldARPTPA
	FieldARPSHA
	FieldARPTHA
	FieldIPv4Src
	FieldIPv4Dst
	FieldIPv6Src
	FieldIPv6Dst
	FieldIPv6Label
	FieldIPProto
	FieldIPTOS // nw_tos: the DSCP bits in place (low two bits zero)
	FieldIPDSCP
	FieldIPECN
	FieldIPTTL
	FieldIPFrag
	FieldTCPSrc
	FieldTCPDst
	FieldUDPSrc
	FieldUDPDst
	FieldSCTPSrc
	FieldSCTPDst
	FieldTCPFlags
	FieldICMPType
	FieldICMPCode
	FieldICMPv6Type
	FieldICMPv6Code
	FieldNDTarget
	FieldNDSLL
	FieldNDTLL
	FieldMetadata
	FieldTunID
	FieldTunSrc
	FieldTunDst
	FieldCTState
	FieldCTZone
	FieldCTMark
	FieldCTLabel
	FieldPktMark
	FieldConjID
	FieldReg0                    // FieldReg0 + n is reg n, n < 16
	FieldXReg0  = FieldReg0 + 16 // FieldXReg0 + n is xreg n, n < 8
	FieldXXReg0 = FieldXReg0 + 8 // FieldXXReg0 + n is xxreg n, n < 4
	numFields   = FieldXXReg0 + 4
)

// Format says how a field's values are written in ovs-ofctl syntax.
type Format uint8

const (
	FormatDecimal  Format = iota // 5, or 0x5 on input
	FormatHex                    // 0x5
	FormatMAC                    // fa:16:3e:00:00:01
	FormatIPv4                   // 192.168.1.9, CIDR or dotted mask
	FormatIPv6                   // fe80::1, prefix or mask
	FormatPort                   // OpenFlow port: number or name (LOCAL, IN_PORT...)
	FormatCTState                // +trk-new, or a hex value/mask
	FormatFrag                   // no, yes, first, later, not_later
	FormatTCPFlags               // +syn-ack, or a hex value/mask
)

// Prereq is a prerequisite a match must satisfy before it may match (or an
// action may write) a field, as Open vSwitch enforces them.
type Prereq uint8

const (
	PrereqNone      Prereq = iota
	PrereqARP              // dl_type arp or rarp
	PrereqIPv4             // dl_type ip
	PrereqIPv6             // dl_type ipv6
	PrereqIPAny            // dl_type ip or ipv6
	PrereqIPv4OrARP        // nw_src/nw_dst: ip, or arp/rarp (legacy spelling of arp_spa/arp_tpa)
	PrereqTCP              // ip/ipv6 and nw_proto=6
	PrereqUDP              // ip/ipv6 and nw_proto=17
	PrereqSCTP             // ip/ipv6 and nw_proto=132
	PrereqL4               // tcp, udp or sctp (tp_src/tp_dst)
	PrereqICMPv4           // ip and nw_proto=1
	PrereqICMPv6           // ipv6 and nw_proto=58
	PrereqND               // icmpv6 with icmp_type 135 or 136
	PrereqNDSolicit        // icmpv6 with icmp_type 135
	PrereqNDAdvert         // icmpv6 with icmp_type 136
	PrereqVLAN             // a VLAN tag is present (vlan_tci & 0x1000)
)

// Field describes where a field lives in a Key and how it is spelled.
type Field struct {
	ID       FieldID
	Name     string   // primary name, used by set_field when printing
	Aliases  []string // other names accepted on input
	NXM      string   // NXM name used in subfield syntax, "" if none
	OXM      string   // OXM name, "" if none
	Bits     int      // width in bits
	Maskable bool     // arbitrary bitwise masks are allowed
	Writable bool     // set_field, load and move may write it
	// Metadata marks a field that travels with the packet but is no bit of
	// the frame (in_port, conntrack state, marks, registers, metadata,
	// tunnel, conj_id): writing it changes nothing a port would send.
	Metadata bool
	Prereq   Prereq
	Format   Format
	// Storage: fields of up to 64 bits occupy bits [Shift, Shift+Bits) of
	// word Word; 128-bit fields occupy words Word (high) and Word+1 (low).
	Word  int
	Shift uint
	// ValueShift drops low-order bits of written values before storing
	// them: nw_tos is written as the whole TOS byte but stores only DSCP.
	ValueShift uint

	smask uint64 // the stored bits, unshifted (fields up to 64 bits)
}

// Words of a Key, and where each field is stored in them.
const (
	wPortTypeTCI = 0  // in_port 0..31, dl_type 32..47, vlan_tci 48..63
	wDstProtoTOS = 1  // dl_dst 0..47, nw_proto 48..55, nw_tos 56..63
	wSrcTTLFrag  = 2  // dl_src 0..47, nw_ttl 48..55, nw_frag 56..63
	wNwAddrs     = 3  // nw_src 32..63, nw_dst 0..31
	wL4Zone      = 4  // tp_src 48..63, tp_dst 32..47, tcp_flags 16..31, ct_zone 0..15
	wSHA         = 5  // arp_sha / nd_sll 0..47
	wTHA         = 6  // arp_tha / nd_tll 0..47
	wIPv6Src     = 7  // 2 words
	wIPv6Dst     = 9  // 2 words
	wNDTarget    = 11 // 2 words
	wLabelState  = 13 // ipv6_label 32..51, ct_state 0..31
	wMarks       = 14 // ct_mark 32..63, pkt_mark 0..31
	wCTLabel     = 15 // 2 words
	wMetadata    = 17
	wTunID       = 18
	wTunAddrs    = 19 // tun_src 32..63, tun_dst 0..31
	wConj        = 20 // conj_id 0..31
	wRegs        = 21 // 8 words: reg(2k) in the high half of word 21+k, reg(2k+1) in the low half
	// KeyWords is the number of 64-bit words in a Key.
	KeyWords = 29
)

var fields [numFields]Field

// FieldByID returns the description of f. It panics on an unknown ID, which
// is a programming error.
func FieldByID(f FieldID) *Field {
	d := &fields[f]
	if d.ID != f || f == FieldNone {
		panic("flowtable: unknown field id")
	}
	return d
}

var fieldNames = map[string]FieldID{}

// FieldByName finds a field by any of its names: ovs-ofctl names, NXM and
// OXM names. Names are case-sensitive except for NXM/OXM names.
func FieldByName(name string) (*Field, bool) {
	id, ok := fieldNames[name]
	if !ok {
		return nil, false
	}
	return &fields[id], true
}

func def(f Field) {
	fields[f.ID] = f
	add := func(n string) {
		if n == "" {
			return
		}
		if _, dup := fieldNames[n]; dup {
			panic("flowtable: duplicate field name " + n)
		}
		fieldNames[n] = f.ID
	}
	add(f.Name)
	for _, a := range f.Aliases {
		add(a)
	}
	add(f.NXM)
	add(f.OXM)
}

func init() {
	u := func(id FieldID, name string, aliases []string, nxm, oxm string, bits int, mask, write bool, pre Prereq, format Format, word int, shift uint) {
		def(Field{ID: id, Name: name, Aliases: aliases, NXM: nxm, OXM: oxm, Bits: bits, Maskable: mask, Writable: write, Prereq: pre, Format: format, Word: word, Shift: shift})
	}
	u(FieldInPort, "in_port", nil, "NXM_OF_IN_PORT", "", 16, false, true, PrereqNone, FormatPort, wPortTypeTCI, 0)
	u(FieldInPortOXM, "in_port_oxm", nil, "", "OXM_OF_IN_PORT", 32, false, true, PrereqNone, FormatPort, wPortTypeTCI, 0)
	u(FieldEthType, "eth_type", []string{"dl_type"}, "NXM_OF_ETH_TYPE", "OXM_OF_ETH_TYPE", 16, false, false, PrereqNone, FormatHex, wPortTypeTCI, 32)
	u(FieldVLANTCI, "vlan_tci", nil, "NXM_OF_VLAN_TCI", "", 16, true, true, PrereqNone, FormatHex, wPortTypeTCI, 48)
	u(FieldVLANVID, "vlan_vid", nil, "", "OXM_OF_VLAN_VID", 13, true, true, PrereqNone, FormatDecimal, wPortTypeTCI, 48)
	u(FieldVLANPCP, "vlan_pcp", nil, "", "OXM_OF_VLAN_PCP", 3, false, true, PrereqVLAN, FormatDecimal, wPortTypeTCI, 48+13)
	u(FieldDLVLAN, "dl_vlan", nil, "", "", 12, false, true, PrereqNone, FormatDecimal, wPortTypeTCI, 48)
	u(FieldDLVLANPCP, "dl_vlan_pcp", nil, "", "", 3, false, true, PrereqNone, FormatDecimal, wPortTypeTCI, 48+13)
	u(FieldEthDst, "eth_dst", []string{"dl_dst"}, "NXM_OF_ETH_DST", "OXM_OF_ETH_DST", 48, true, true, PrereqNone, FormatMAC, wDstProtoTOS, 0)
	u(FieldEthSrc, "eth_src", []string{"dl_src"}, "NXM_OF_ETH_SRC", "OXM_OF_ETH_SRC", 48, true, true, PrereqNone, FormatMAC, wSrcTTLFrag, 0)
	u(FieldIPProto, "nw_proto", []string{"ip_proto"}, "NXM_OF_IP_PROTO", "OXM_OF_IP_PROTO", 8, false, false, PrereqIPAny, FormatDecimal, wDstProtoTOS, 48)
	u(FieldARPOp, "arp_op", nil, "NXM_OF_ARP_OP", "OXM_OF_ARP_OP", 8, false, true, PrereqARP, FormatDecimal, wDstProtoTOS, 48)
	u(FieldIPTOS, "nw_tos", nil, "NXM_OF_IP_TOS", "", 8, false, true, PrereqIPAny, FormatDecimal, wDstProtoTOS, 58)
	fields[FieldIPTOS].ValueShift = 2
	u(FieldIPDSCP, "ip_dscp", nil, "", "OXM_OF_IP_DSCP", 6, false, true, PrereqIPAny, FormatDecimal, wDstProtoTOS, 58)
	u(FieldIPECN, "nw_ecn", []string{"ip_ecn"}, "NXM_NX_IP_ECN", "OXM_OF_IP_ECN", 2, false, true, PrereqIPAny, FormatDecimal, wDstProtoTOS, 56)
	u(FieldIPTTL, "nw_ttl", nil, "NXM_NX_IP_TTL", "", 8, false, true, PrereqIPAny, FormatDecimal, wSrcTTLFrag, 48)
	u(FieldIPFrag, "ip_frag", []string{"nw_frag"}, "NXM_NX_IP_FRAG", "", 2, true, false, PrereqIPAny, FormatFrag, wSrcTTLFrag, 56)
	u(FieldIPv4Src, "ip_src", []string{"nw_src", "ipv4_src"}, "NXM_OF_IP_SRC", "OXM_OF_IPV4_SRC", 32, true, true, PrereqIPv4OrARP, FormatIPv4, wNwAddrs, 32)
	u(FieldIPv4Dst, "ip_dst", []string{"nw_dst", "ipv4_dst"}, "NXM_OF_IP_DST", "OXM_OF_IPV4_DST", 32, true, true, PrereqIPv4OrARP, FormatIPv4, wNwAddrs, 0)
	u(FieldARPSPA, "arp_spa", nil, "NXM_OF_ARP_SPA", "OXM_OF_ARP_SPA", 32, true, true, PrereqARP, FormatIPv4, wNwAddrs, 32)
	u(FieldARPTPA, "arp_tpa", nil, "NXM_OF_ARP_TPA", "OXM_OF_ARP_TPA", 32, true, true, PrereqARP, FormatIPv4, wNwAddrs, 0)
	u(FieldARPSHA, "arp_sha", nil, "NXM_NX_ARP_SHA", "OXM_OF_ARP_SHA", 48, true, true, PrereqARP, FormatMAC, wSHA, 0)
	u(FieldARPTHA, "arp_tha", nil, "NXM_NX_ARP_THA", "OXM_OF_ARP_THA", 48, true, true, PrereqARP, FormatMAC, wTHA, 0)
	u(FieldTCPSrc, "tcp_src", []string{"tp_src"}, "NXM_OF_TCP_SRC", "OXM_OF_TCP_SRC", 16, true, true, PrereqTCP, FormatDecimal, wL4Zone, 48)
	u(FieldTCPDst, "tcp_dst", []string{"tp_dst"}, "NXM_OF_TCP_DST", "OXM_OF_TCP_DST", 16, true, true, PrereqTCP, FormatDecimal, wL4Zone, 32)
	u(FieldUDPSrc, "udp_src", nil, "NXM_OF_UDP_SRC", "OXM_OF_UDP_SRC", 16, true, true, PrereqUDP, FormatDecimal, wL4Zone, 48)
	u(FieldUDPDst, "udp_dst", nil, "NXM_OF_UDP_DST", "OXM_OF_UDP_DST", 16, true, true, PrereqUDP, FormatDecimal, wL4Zone, 32)
	u(FieldSCTPSrc, "sctp_src", nil, "", "OXM_OF_SCTP_SRC", 16, true, true, PrereqSCTP, FormatDecimal, wL4Zone, 48)
	u(FieldSCTPDst, "sctp_dst", nil, "", "OXM_OF_SCTP_DST", 16, true, true, PrereqSCTP, FormatDecimal, wL4Zone, 32)
	u(FieldTCPFlags, "tcp_flags", nil, "NXM_NX_TCP_FLAGS", "ONFOXM_ET_TCP_FLAGS", 12, true, false, PrereqTCP, FormatTCPFlags, wL4Zone, 16)
	u(FieldICMPType, "icmp_type", []string{"icmpv4_type"}, "NXM_OF_ICMP_TYPE", "OXM_OF_ICMPV4_TYPE", 8, false, true, PrereqICMPv4, FormatDecimal, wL4Zone, 48)
	u(FieldICMPCode, "icmp_code", []string{"icmpv4_code"}, "NXM_OF_ICMP_CODE", "OXM_OF_ICMPV4_CODE", 8, false, true, PrereqICMPv4, FormatDecimal, wL4Zone, 32)
	u(FieldICMPv6Type, "icmpv6_type", nil, "NXM_NX_ICMPV6_TYPE", "OXM_OF_ICMPV6_TYPE", 8, false, true, PrereqICMPv6, FormatDecimal, wL4Zone, 48)
	u(FieldICMPv6Code, "icmpv6_code", nil, "NXM_NX_ICMPV6_CODE", "OXM_OF_ICMPV6_CODE", 8, false, true, PrereqICMPv6, FormatDecimal, wL4Zone, 32)
	u(FieldIPv6Src, "ipv6_src", nil, "NXM_NX_IPV6_SRC", "OXM_OF_IPV6_SRC", 128, true, true, PrereqIPv6, FormatIPv6, wIPv6Src, 0)
	u(FieldIPv6Dst, "ipv6_dst", nil, "NXM_NX_IPV6_DST", "OXM_OF_IPV6_DST", 128, true, true, PrereqIPv6, FormatIPv6, wIPv6Dst, 0)
	u(FieldIPv6Label, "ipv6_label", nil, "NXM_NX_IPV6_LABEL", "OXM_OF_IPV6_FLABEL", 20, true, true, PrereqIPv6, FormatHex, wLabelState, 32)
	u(FieldNDTarget, "nd_target", nil, "NXM_NX_ND_TARGET", "OXM_OF_IPV6_ND_TARGET", 128, true, true, PrereqND, FormatIPv6, wNDTarget, 0)
	u(FieldNDSLL, "nd_sll", nil, "NXM_NX_ND_SLL", "OXM_OF_IPV6_ND_SLL", 48, true, true, PrereqNDSolicit, FormatMAC, wSHA, 0)
	u(FieldNDTLL, "nd_tll", nil, "NXM_NX_ND_TLL", "OXM_OF_IPV6_ND_TLL", 48, true, true, PrereqNDAdvert, FormatMAC, wTHA, 0)
	u(FieldMetadata, "metadata", nil, "", "OXM_OF_METADATA", 64, true, true, PrereqNone, FormatHex, wMetadata, 0)
	u(FieldTunID, "tun_id", []string{"tunnel_id"}, "NXM_NX_TUN_ID", "OXM_OF_TUNNEL_ID", 64, true, true, PrereqNone, FormatHex, wTunID, 0)
	u(FieldTunSrc, "tun_src", nil, "NXM_NX_TUN_IPV4_SRC", "", 32, true, true, PrereqNone, FormatIPv4, wTunAddrs, 32)
	u(FieldTunDst, "tun_dst", nil, "NXM_NX_TUN_IPV4_DST", "", 32, true, true, PrereqNone, FormatIPv4, wTunAddrs, 0)
	u(FieldCTState, "ct_state", nil, "NXM_NX_CT_STATE", "", 32, true, false, PrereqNone, FormatCTState, wLabelState, 0)
	u(FieldCTZone, "ct_zone", nil, "NXM_NX_CT_ZONE", "", 16, false, false, PrereqNone, FormatHex, wL4Zone, 0)
	u(FieldCTMark, "ct_mark", nil, "NXM_NX_CT_MARK", "", 32, true, true, PrereqNone, FormatHex, wMarks, 32)
	u(FieldCTLabel, "ct_label", nil, "NXM_NX_CT_LABEL", "", 128, true, true, PrereqNone, FormatHex, wCTLabel, 0)
	u(FieldPktMark, "pkt_mark", nil, "NXM_NX_PKT_MARK", "", 32, true, true, PrereqNone, FormatHex, wMarks, 0)
	u(FieldConjID, "conj_id", nil, "NXM_NX_CONJ_ID", "", 32, false, false, PrereqNone, FormatDecimal, wConj, 0)
	for _, id := range []FieldID{FieldInPort, FieldInPortOXM, FieldMetadata, FieldTunID, FieldTunSrc, FieldTunDst,
		FieldCTState, FieldCTZone, FieldCTMark, FieldCTLabel, FieldPktMark, FieldConjID} {
		fields[id].Metadata = true
	}
	for i := 0; i < 16; i++ {
		n := itoa(i)
		u(FieldReg0+FieldID(i), "reg"+n, nil, "NXM_NX_REG"+n, "", 32, true, true, PrereqNone, FormatHex, wRegs+i/2, uint(32*(1-i%2)))
	}
	for i := 0; i < 8; i++ {
		n := itoa(i)
		u(FieldXReg0+FieldID(i), "xreg"+n, nil, "", "OXM_OF_PKT_REG"+n, 64, true, true, PrereqNone, FormatHex, wRegs+i, 0)
	}
	for i := 0; i < 4; i++ {
		n := itoa(i)
		u(FieldXXReg0+FieldID(i), "xxreg"+n, nil, "NXM_NX_XXREG"+n, "", 128, true, true, PrereqNone, FormatHex, wRegs+2*i, 0)
	}
	for id := FieldReg0; id < numFields; id++ {
		fields[id].Metadata = true
	}
	initHeaderMask()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return "1" + string(rune('0'+i-10))
}
