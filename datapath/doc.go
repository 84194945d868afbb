// Package datapath forwards frames through bridges of OpenFlow tables with
// Open vSwitch's semantics.
//
// A frame arriving on a port is parsed once into a flowtable.Key (extract.go).
// Translation (xlate*.go) runs the key through the bridge's tables: actions
// change the key, and every output "commits" the difference between the key
// and what the frame looks like at that point as a short list of datapath
// operations (commit.go), as Open vSwitch's ofproto-dpif does. Execution
// (execute.go) then applies the operations to the frame in place and hands
// it to the output ports. Translation never touches the frame, so its result
// can later be cached, keyed by the fields it looked at (the wildcards it
// accumulates): Open vSwitch's megaflows.
//
// Patch ports are followed during translation: output to a patch port
// continues in the peer bridge's table 0 with in_port set to the peer.
//
// Per-packet work allocates nothing and takes no global lock: each Worker
// owns its scratch state; bridges, ports and flow tables are read through
// atomic snapshots.
package datapath
