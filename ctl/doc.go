// Package ctl serves gvsd's control API (ctl/gvs.proto) over a unix socket:
// bridges and ports (ovs-vsctl), flow tables (ovs-ofctl), and the datapath
// (packet-out, trace, port statistics, MAC table, capture).
//
// Every call is authorised by the caller's credentials (SO_PEERCRED): root,
// or a member of the socket's group. Every change to bridges, ports or flows
// is written to the state directory before the call returns, so a restarted
// gvsd forwards as before without waiting for its controller.
package ctl
