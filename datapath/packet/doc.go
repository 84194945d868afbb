// Package packet is gvs's model of a frame in flight, shared by the
// datapath, the connection tracker and the devices:
//
//   - Packet (packet.go): the frame in a buffer with headroom before it, so
//     headers can be pushed in place (PushVLAN, PopVLAN), and its Meta.
//   - Layout (layout.go): the one walk over a frame's headers — VLAN tags
//     (up to a vlan-limit), LLC/SNAP, IPv4/IPv6 with extension headers,
//     the transport header — recording offsets, fragment state and whether
//     a header was malformed, as Open vSwitch's miniflow_extract judges
//     lengths. Packet.Parse does it once per packet; PushVLAN and PopVLAN
//     keep it current; the datapath, the tracker and the devices' checksum
//     completion all read it rather than walking the frame themselves.
//   - Meta (meta.go): what travels with the frame between ports and passes
//     but is not in its bytes: tunnel, recirculation id, skb mark, checksum
//     and segmentation offload state. datapath.Frame carries it in and out
//     of devices.
//   - CT and CTRequest (ct.go): a packet's connection-tracking state
//     (ct_state bits, zone, mark, label) and a request to a tracker in plain
//     terms. The datapath asks (datapath/conntrack.go translates the ct()
//     action) and package conntrack answers, and neither imports the
//     other.
//
// Typed views of the headers themselves, and the ethertype and protocol
// numbers, are in datapath/header. The package imports nothing of gvs's
// flow model (flowtable), so any package may use it.
package packet
