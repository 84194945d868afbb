// Command udpblast sends minimum-size UDP frames out of one interface as
// fast as AF_PACKET sendmmsg allows, for forwarding benchmarks between
// network namespaces (run it inside one with ip netns exec). With -off it
// instead turns off the interface's checksum and segmentation offloads,
// which a userspace switch needs and for which no ethtool is installed.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/netdev"
)

func main() {
	ifname := flag.String("i", "", "interface to send on")
	dmac := flag.String("dmac", "", "destination MAC")
	src := flag.String("src", "10.200.0.1", "source IPv4")
	dst := flag.String("dst", "10.200.0.99", "destination IPv4")
	size := flag.Int("size", 64, "frame size in bytes (no FCS)")
	dur := flag.Duration("t", 5*time.Second, "how long to send")
	batch := flag.Int("batch", 256, "frames per sendmmsg")
	off := flag.String("off", "", "only disable offloads on this interface and exit")
	flag.Parse()
	if *off != "" {
		if err := netdev.DisableOffloads(*off); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	n, err := blast(*ifname, *dmac, *src, *dst, *size, *batch, *dur)
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpblast:", err)
		os.Exit(1)
	}
	fmt.Println(n)
}

func frame(smac, dmac net.HardwareAddr, src, dst net.IP, size int) []byte {
	size = max(size, 42)
	f := make([]byte, size)
	copy(f, dmac)
	copy(f[6:], smac)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(size-14))
	copy(ip[12:], src.To4())
	copy(ip[16:], dst.To4())
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 9999)
	binary.BigEndian.PutUint16(udp[2:], 9)
	binary.BigEndian.PutUint16(udp[4:], uint16(size-34))
	return f
}

func blast(ifname, dmacS, srcS, dstS string, size, batch int, dur time.Duration) (uint64, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return 0, err
	}
	dmac, err := net.ParseMAC(dmacS)
	if err != nil {
		return 0, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		return 0, err
	}
	f := frame(ifi.HardwareAddr, dmac, net.ParseIP(srcS), net.ParseIP(dstS), size)
	iov := unix.Iovec{Base: &f[0]}
	iov.SetLen(len(f))
	msgs := make([]unix.Mmsghdr, batch)
	for i := range msgs {
		msgs[i].Hdr.Iov = &iov
		msgs[i].Hdr.SetIovlen(1)
	}
	var sent uint64
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(batch), 0, 0, 0)
		if e == 0 {
			sent += uint64(r)
		}
	}
	return sent, nil
}
