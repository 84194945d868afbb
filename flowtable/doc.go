// Package flowtable holds gvs's OpenFlow model: match fields, flow keys,
// matches, actions and flow entries; the ovs-ofctl text syntax (parser and
// printer); the 255 flow tables of a bridge with Open vSwitch's add, modify
// and delete semantics; and the classifier that finds the highest-priority
// entry matching a packet's key.
//
// Executing actions is the datapath's business: this package only holds,
// finds and prints them.
//
// # Keys
//
// A packet is summarised in a [Key]: a fixed array of 64-bit words in which
// every field has a fixed place (see [Field]). Some fields share storage, as
// in Open vSwitch: arp_spa/arp_tpa live where nw_src/nw_dst do, arp_op in
// nw_proto, icmp_type/icmp_code in tp_src/tp_dst, arp_sha/arp_tha where
// nd_sll/nd_tll do. Prerequisites make the sharing unambiguous.
//
// A [Match] is a Key of values and a Key of masks. The classifier groups
// flows by mask (tuple-space search), so a lookup costs one hash probe per
// distinct mask in a table, whatever the number of flows.
//
// # Concurrency
//
// Lookups take no lock and allocate nothing. Flow modifications are
// serialised per table set and published with atomic pointer swaps, so a
// reader sees either the old or the new state of any one flow.
package flowtable
