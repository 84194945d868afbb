// Package netdev implements gvs's kernel-facing port drivers. Every device
// implements datapath.BatchDevice (defined in datapath, where it is
// consumed); datapath never imports this package.
//
// Port types:
//
//   - System: an existing interface through AF_PACKET. TPACKET_V3 receive
//     ring (8 MiB, 1 ms block timeout) with PACKET_RESERVE headroom so the
//     datapath pushes VLAN tags and tunnel headers in place; promiscuous;
//     PACKET_IGNORE_OUTGOING (and a PACKET_OUTGOING filter) so gvs never
//     re-receives what it sent; the VLAN tag the kernel strips is put back
//     from the ring header; partial checksums (TP_STATUS_CSUMNOTREADY) are
//     completed in software (Frame.Meta.Offload records the checksum as
//     valid). Transmit: sendmmsg per batch, write per frame,
//     PACKET_QDISC_BYPASS. Frames stay in the host stack too.
//   - AFXDP: an existing interface through AF_XDP. An XDP program built
//     with cilium/ebpf's asm redirects by rx_queue_index into an XSKMAP
//     and passes to the stack when a queue has no socket; native attach
//     first, generic as fallback; one socket per RX queue sharing one
//     UMEM; zero-copy bind with copy fallback. Received frames are handed
//     to the datapath in place in the UMEM (no copy out). Close detaches
//     the BPF link and frees everything. afxdp.go is the port,
//     afxdp_xsk.go one socket and its rings, afxdp_prog.go the XDP
//     program, its attach and the privileges they need.
//   - Tap: a TAP device (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), written on
//     x/sys/unix because songgao/water has no IFF_VNET_HDR, no
//     multi-queue and always rewrites the persist flag. Offloads are off
//     (TUNSETOFFLOAD 0): the kernel segments a VM's or namespace's TCP and
//     finishes checksums before gvs reads it, so gvs never receives - and
//     so never puts on a wire - a frame larger than the MTU. The virtio
//     header is still honoured (NEEDS_CSUM completed and, like DATA_VALID,
//     recorded as a valid checksum in Frame.Meta.Offload; GSO frames
//     dropped and counted). Internal is a Tap that gvs creates and brings up for
//     the host.
//
// OpenSystem and OpenAFXDP fail with an *OpenError, worded as Open
// vSwitch's Interface error column ("could not open network device veth9
// (No such device)"); Missing tells an interface that does not exist, which
// gvsd accepts (the port is down until the interface appears). WatchLinks
// follows rtnetlink link updates (vishvananda/netlink), starting with, and
// after a lost-events resubscription repeating, a dump of every link;
// gvsd uses it to open, reopen and take down system and afxdp ports as
// their interfaces come and go (see pmd.Hotplug).
//
// The polling threads that drive these devices are in netdev/pmd; this
// package does not import it and depends on datapath only for the device
// interface types (Frame, Device, BatchDevice, DeviceStats, Headroom).
// Every device here is safe for concurrent transmit: system and tap
// transmit is a system call the kernel serialises, AF_XDP transmit takes a
// per-port lock once per batch. Recv and Release are called by one
// goroutine at a time (the polling thread that owns the port). Recv
// assigns every field of the frames it fills: Frame.Meta, reused from the
// last batch, starts zero, with Meta.Offload set where the device reports
// checksum state.
package netdev
