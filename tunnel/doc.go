// Package tunnel holds the allocation-free core of gvs's native tunnelling
// (VXLAN, GRE and Geneve in the Open vSwitch userspace model): typed views
// over the tunnel headers, Encap to write the outer Ethernet, IP and
// UDP/GRE headers in front of an inner frame, Decap to validate an outer
// frame and return its tunnel metadata, a longest-prefix-match route
// table with lock-free reads, and a neighbour cache with ARP/ND learning
// and request builders.
//
// The per-packet functions (Encap, Decap, Table.Lookup, Cache.Lookup,
// SourcePort) allocate nothing. Kernel route loading through netlink is
// kept in kernel.go, apart from the pure table.
package tunnel
