package tunnel

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/gvs-project/gvs/datapath/header"
)

// Type is a tunnel encapsulation.
type Type uint8

// Tunnel types.
const (
	TypeNone Type = iota
	TypeVXLAN
	TypeGRE
	TypeGeneve
)

// String returns the Open vSwitch interface type name (vxlan, gre, geneve).
func (t Type) String() string {
	switch t {
	case TypeVXLAN:
		return "vxlan"
	case TypeGRE:
		return "gre"
	case TypeGeneve:
		return "geneve"
	}
	return "none"
}

// Flags are Open vSwitch's flow_tnl flags (FLOW_TNL_F_*), with OVS's values.
type Flags uint16

// Tunnel flags.
const (
	FlagOAM  Flags = 1 << 0 // Geneve O bit
	FlagDF   Flags = 1 << 1 // outer IPv4 don't-fragment
	FlagCsum Flags = 1 << 2 // outer UDP or GRE checksum present
	FlagKey  Flags = 1 << 3 // key/VNI present
)

// String formats the flags as OVS does, names joined by "|" (oam, df,
// csum, key), or "" for none.
func (f Flags) String() string {
	var b strings.Builder
	for _, n := range [...]struct {
		f    Flags
		name string
	}{{FlagOAM, "oam"}, {FlagDF, "df"}, {FlagCsum, "csum"}, {FlagKey, "key"}} {
		if f&n.f != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// DefaultTTL is the outer TTL (hop limit) when a tunnel sets none, as OVS.
const DefaultTTL = 64

// Config describes one encapsulation: the tunnel port's options combined
// with the flow's tunnel fields and the route and neighbour found for Dst.
type Config struct {
	Type Type
	// Src and Dst are the outer addresses, both IPv4 or both IPv6.
	Src, Dst netip.Addr
	// Key is tun_id: VXLAN and Geneve write its low 24 bits; GRE writes
	// its low 32 bits, and only with FlagKey.
	Key uint64
	// TOS is the outer IPv4 TOS or IPv6 traffic class.
	TOS uint8
	// TTL is the outer TTL or hop limit; 0 means DefaultTTL.
	TTL uint8
	// Flags: FlagDF sets IPv4 DF (OVS's df_default, true by default);
	// FlagCsum asks for the UDP checksum over IPv4 (always written over
	// IPv6) or the GRE checksum; FlagKey puts the GRE key; FlagOAM sets
	// Geneve's O bit.
	Flags Flags
	// DstPort is the UDP destination port; 0 means VXLANPort or GenevePort.
	DstPort uint16
	// SrcMAC and DstMAC are the outer Ethernet addresses (the underlay
	// bridge's and the next hop's).
	SrcMAC, DstMAC header.MAC
	// Options are Geneve options, opaque, a multiple of 4 bytes.
	Options []byte
	// MTU is the underlay device's MTU: an outer IP packet longer than
	// it is ErrTooBig (OVS drops it rather than fragment). 0: no check.
	MTU int
}

// Metadata is what Decap reads from an outer frame: the flow's tunnel
// fields (tun_id, tun_src, tun_dst, tun_tos, tun_ttl, tun_flags, tun_tp_*).
type Metadata struct {
	Type     Type
	Src, Dst netip.Addr
	ID       uint64
	TOS, TTL uint8
	Flags    Flags
	// TpSrc and TpDst are the outer UDP ports (0 for GRE).
	TpSrc, TpDst uint16
	// Options are the Geneve options, a view into the frame.
	Options []byte
}

// UDPPort is a UDP destination port on which a tunnel type listens.
type UDPPort struct {
	Type Type
	Port uint16
}

// DefaultPorts are the UDP ports of VXLAN and Geneve with OVS's default dst_port.
var DefaultPorts = []UDPPort{{TypeVXLAN, VXLANPort}, {TypeGeneve, GenevePort}}

// Reasons Decap and Encap reject a frame; callers count drops by them.
var (
	ErrShort         = errors.New("tunnel: truncated header")
	ErrNotTunnel     = errors.New("tunnel: not a tunnel protocol")
	ErrNotTunnelPort = errors.New("tunnel: UDP port is not a tunnel port")
	ErrBadChecksum   = errors.New("tunnel: bad checksum")
	ErrBadFlags      = errors.New("tunnel: unknown flags")
	ErrBadVersion    = errors.New("tunnel: unknown version")
	ErrBadProtocol   = errors.New("tunnel: inner protocol is not Ethernet")
	ErrBadIP         = errors.New("tunnel: malformed outer IP header")
	ErrFragment      = errors.New("tunnel: outer IP fragment")
	ErrHeadroom      = errors.New("tunnel: not enough headroom")
	ErrTooBig        = errors.New("tunnel: encapsulated frame too big")
	ErrConfig        = errors.New("tunnel: invalid tunnel configuration")
)
