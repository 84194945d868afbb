// Package netdev implements gvs's kernel-facing ports and the polling
// threads that drive them:
//
//   - System: an existing interface through AF_PACKET with a TPACKET_V3
//     receive ring and sendmmsg transmit.
//   - Tap: a TAP device (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR) for a VM or a
//     namespace; Internal is a TAP that gvs creates and brings up for the
//     host.
//   - Poller: polling goroutines locked to OS threads, each owning the
//     receive side of its ports and a datapath.Worker.
//
// Every device implements datapath.BatchDevice; datapath does not import
// this package.
package netdev
