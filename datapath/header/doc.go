// Package header provides typed views over packet headers: each type is a
// []byte aliasing the frame, and its methods read and write fields in
// place, with no copies and no allocation. The frame they alias, with its
// headroom and metadata, is a datapath/packet.Packet; the datapath's set
// actions rewrite headers through these views, and the datapath, conntrack
// and netdev compute and check checksums with the helpers below.
//
// Contract: a view must be at least its type's MinimumSize bytes long (for
// IPv4 and TCP, also long enough for the header length it announces where
// a method reaches past the fixed part, such as Payload). The accessors do
// not check lengths; callers check once (see the Valid methods) and then use
// the accessors freely. A too short view makes an accessor panic with an
// index out of range, as any slice access would.
//
// The checksum helpers work on the Internet checksum (RFC 1071).
// UpdateChecksum16 and UpdateChecksum32 adjust a checksum for a changed
// 16- or 32-bit word without touching the rest of the data (RFC 1624).
package header
