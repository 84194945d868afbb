// Package datapath forwards frames through bridges of OpenFlow tables with
// Open vSwitch's semantics.
//
// One packet from a port's receive to another port's transmit, file by
// file:
//
//  1. batch.go: a device (package netdev, polled outside datapath) fills
//     Frames; Worker.ReceiveBatch takes them with their packet.Meta.
//     Worker.Receive (worker.go) is the entry for callers without metadata.
//  2. worker.go: receive points the worker's Packet (packet.go: a
//     datapath/packet.Packet plus the flow key) at the frame; process counts
//     it and runs it to completion.
//  3. extract.go: parse walks the frame once (packet.Layout, in
//     datapath/packet/layout.go: tags, network and transport offsets,
//     fragment state, where a malformed header stopped the walk) and fills
//     the flowtable.Key from the headers found, as Open vSwitch's
//     miniflow_extract does. The set actions rewrite at the layout's
//     offsets and the tracker reads its tuple there; nothing walks the
//     frame again.
//  4. xlate.go, xlate_actions.go: translation runs the key through the
//     bridge's tables (patch ports continue in the peer bridge). Each
//     action translates itself (flowtable's act_*.go files, against the
//     flowtable.Translator that xlate_actions.go implements): it changes
//     the key, and every output commits the difference between the key and
//     the frame as datapath operations (commit.go), as ofproto-dpif does.
//     NORMAL is normal.go; output to CONTROLLER becomes a packet-in
//     (controller.go) when the control core has a subscriber. trace.go
//     explains a translation; drop.go names why a packet was dropped.
//  5. execute.go: the operations are applied to the frame in place (VLAN
//     push/pop through datapath/packet, header rewrites through
//     datapath/header with incremental checksums).
//  6. conntrack.go: a ct() operation asks the Conntrack interface (package
//     conntrack implements it) with a plain packet.CTRequest and writes the
//     packet.CT it returns into the key; with table=N a copy of the packet
//     is queued by worker.go to resume translation there (recirculation).
//  7. worker.go transmit, then batch.go: output to a batch device is staged
//     and sent with one SendBatch per port at the end of the received
//     batch, each frame with the packet's Meta; other devices get Send.
//
// Translation never touches the frame, so its result is cached (between
// steps 3 and 4, flowcache.go): each worker keeps the operations of
// earlier translations keyed by the packet bits they depended on (the
// exact wildcards translation accumulates, Open vSwitch's megaflows, with
// an exact-match front cache), replays their side effects (counters, MAC
// learning) on a hit, and never uses an entry whose flow tables, MAC
// table, ports or bridge configuration changed since.
//
// Per-packet work allocates nothing and takes no global lock: each Worker
// owns its scratch state (the packet it processes included); bridges, ports
// and flow tables are read through atomic snapshots.
package datapath
