// Package ovsdb makes gvsd a client of a real ovsdb-server holding Open
// vSwitch's schema, as ovs-vswitchd is: it monitors the Open_vSwitch,
// Bridge, Port, Interface, Controller, Manager and Flow_Table tables,
// reconciles the bridges and ports they describe into the control core
// (vswitch.Switch), and writes back what ovs-vswitchd writes: Interface
// ofport, error, admin_state, link_state, mac_in_use, mtu, ifindex and
// statistics, Bridge datapath_id, and Open_vSwitch cur_cfg, ovs_version,
// datapath_types and iface_types.
//
// The package is in three layers: model.go (the rows, as libovsdb
// models), convert.go (rows to the core's configuration; a bad row is an
// error for that interface only), reconcile.go (the desired state applied
// to a Switch) and client.go (the connection, the monitor and the write
// back).
package ovsdb
