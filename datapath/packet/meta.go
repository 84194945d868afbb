package packet

// Meta is the per-packet metadata a frame carries from the device that
// received it, through the pipeline, to the device that sends it: what Open
// vSwitch keeps in struct pkt_metadata and the dp_packet offload fields.
// The zero value is "nothing known": a frame from a plain port.
type Meta struct {
	// Tunnel is the tunnel the frame arrived in (receive) or is to be
	// encapsulated with (transmit); Tunnel.Dst == zero means none.
	Tunnel Tunnel
	// RecircID names the recirculation a frame re-enters the pipeline for
	// (0: first pass), as OVS's recirc_id.
	RecircID uint32
	// Mark is the skb mark (pkt_mark).
	Mark uint32
	// Offload is what the device promised or asked about checksums and
	// segmentation.
	Offload Offload
}

// Tunnel is the outer header of an encapsulated frame, as the flow fields
// tun_id, tun_src, tun_dst, tun_flags, tun_tos and tun_ttl see it.
// Addresses are IPv4 in the low 32 bits or IPv6 in both halves (Hi, Lo).
type Tunnel struct {
	ID           uint64
	SrcHi, SrcLo uint64
	DstHi, DstLo uint64
	Flags        uint16
	TOS, TTL     uint8
	TpSrc, TpDst uint16
	IPv6         bool
}

// Offload flags.
const (
	// CsumPartial: the L4 checksum still has to be completed from
	// Offload.CsumStart/CsumOffset (virtio NEEDS_CSUM, TP_STATUS_CSUMNOTREADY).
	CsumPartial uint8 = 1 << iota
	// CsumValid: the device verified the checksums already.
	CsumValid
	// GSO: the frame is larger than the MTU and must be segmented into
	// GSOSize payloads before it reaches a wire.
	GSO
)

// Offload is the checksum and segmentation state of a frame.
type Offload struct {
	Flags      uint8
	GSOType    uint8  // virtio GSO type when GSO is set
	GSOSize    uint16 // payload bytes per segment when GSO is set
	CsumStart  uint16 // from the frame start, when CsumPartial is set
	CsumOffset uint16 // from CsumStart, when CsumPartial is set
}
