// Package vswitch is the control core of gvs: the one place that turns a
// configuration, a saved state or a front end's request into changes of
// the datapath engine.
//
// The engine (package datapath) forwards frames and knows nothing of the
// YAML configuration, the connection tracker's implementation or the
// devices behind its ports. This package assembles it:
//
//   - assemble.go: Build and Load a datapath from a config.Config;
//     AttachPort, the single constructor of ports (a config.Port spec with
//     a typed config.PortKind, its device from a DeviceOpener the daemon
//     hands in); NewConntrack, the tracker configured by the conntrack
//     section.
//   - replay.go: Replay, the offline run of gvsd replay over pcap ports.
//   - switch.go: Switch, the core that owns the datapath, the port
//     configurations and the state store (state.go, load.go); bridges and
//     ports (add, delete, set, list) and the MAC table flush.
//   - flows.go: flow mods (add, modify, delete, replace), dumps with
//     ovs-ofctl filters, packet-out and trace.
//   - events.go: Subscribe for packet-in, flow-removed and port-status
//     events, bounded and non-blocking (a slow subscriber loses events,
//     counted); ExpireFlows, the daemon's once-a-second flow expiry.
//   - views.go: read-only views: port counters, drops, the MAC table.
//   - conntrack.go: dumps and flushes of the datapath's connection tracker.
//   - errors.go: the error kinds front ends map to their own codes.
//
// Front ends (gRPC in package ctl today; OpenFlow and OVSDB next) call this
// package rather than build ports or parse configuration themselves.
package vswitch
