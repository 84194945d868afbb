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
//
// Front ends (gRPC in package ctl today; OpenFlow and OVSDB next) call this
// package rather than build ports or parse configuration themselves.
package vswitch
