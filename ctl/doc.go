// Package ctl serves gvsd's control API (ctl/gvs.proto) over a unix socket:
// bridges and ports (ovs-vsctl), flow tables (ovs-ofctl), and the datapath
// (packet-out, trace, port statistics, MAC table, capture, conntrack).
//
// ctl is a thin translation layer: each handler turns its protobuf request
// into a call of the control core (package vswitch, which owns the
// datapath, the port configurations and the state file) and the result
// back; the core's error kinds (vswitch.ErrNotFound, ErrInvalid, ...)
// become gRPC status codes (errors.go). Only capture and the metrics
// collectors read the core's datapath directly.
//
// Every call is authorised by the caller's credentials (SO_PEERCRED): root,
// or a member of the socket's group. The core writes every change to
// bridges, ports or flows to the state directory before the call returns,
// so a restarted gvsd forwards as before without waiting for its
// controller.
package ctl
