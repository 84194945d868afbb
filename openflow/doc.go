// Package openflow is gvs's OpenFlow codec: the wire format of OpenFlow 1.0
// to 1.5 with Open vSwitch's Nicira extensions (NXM/OXM matches, NX actions,
// Nicira flow mods), mapped to and from flowtable's matches and actions.
//
// It encodes exactly what ovs-vswitchd 3.1 encodes and accepts what
// ovs-ofctl and os-ken send. It does no I/O: connections live in ofconn.
//
// Files: version.go (versions and the message header), match_*.go (NXM and
// OXM), action_*.go (actions and instructions), msg_*.go (messages).
package openflow
