package netdev_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/datapath/header"
)

// Helpers run inside a namespace (ip netns exec, re-executing the test
// binary) because this kernel has no 8021q module: tagged frames are made
// and checked with packet sockets.

// sendTagged sends count UDP datagrams carrying payload in frames tagged
// with vlan, from ifname to dmac/dst:port.
func sendTagged(ifname, dmacS, srcS, dstS string, port, vlan, count int, payload string) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	dmac, err := net.ParseMAC(dmacS)
	if err != nil {
		return err
	}
	src, dst := net.ParseIP(srcS).To4(), net.ParseIP(dstS).To4()
	f := make([]byte, 0, 128)
	f = append(f, dmac...)
	f = append(f, ifi.HardwareAddr...)
	f = binary.BigEndian.AppendUint16(f, 0x8100)
	f = binary.BigEndian.AppendUint16(f, uint16(vlan))
	f = binary.BigEndian.AppendUint16(f, 0x0800)
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(payload)))
	copy(ip[12:], src)
	copy(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip, 0))
	udp := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], 4000)
	binary.BigEndian.PutUint16(udp[2:], uint16(port))
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	udp = append(udp, payload...)
	binary.BigEndian.PutUint16(udp[6:], header.Checksum(udp, header.PseudoHeaderSum(17, src, dst, uint32(len(udp)))))
	f = append(append(f, ip...), udp...)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		return err
	}
	for i := 0; i < count; i++ {
		if _, err := unix.Write(fd, f); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// recvTagged waits up to wait for an ARP frame tagged with vlan on ifname
// (the kernel moves the tag to the packet's auxiliary data).
func recvTagged(ifname string, vlan int, wait time.Duration) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return err
	}
	tv := unix.NsecToTimeval(int64(200 * time.Millisecond))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	buf, oob := make([]byte, 2048), make([]byte, 256)
	end := time.Now().Add(wait)
	for time.Now().Before(end) {
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
		if err != nil || n < 14 {
			continue
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			if m.Header.Level != unix.SOL_PACKET || m.Header.Type != unix.PACKET_AUXDATA || len(m.Data) < int(unsafe.Sizeof(unix.TpacketAuxdata{})) {
				continue
			}
			aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&m.Data[0]))
			if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 && int(aux.Vlan_tci&0xfff) == vlan && binary.BigEndian.Uint16(buf[12:]) == 0x0806 {
				return nil
			}
		}
	}
	return fmt.Errorf("no ARP frame tagged %d on %s within %v", vlan, ifname, wait)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// vlanHelper runs the helper named by GVST_HELPER, if it is one of these.
func vlanHelper() (bool, error) {
	atoi := func(k string) int { v, _ := strconv.Atoi(os.Getenv(k)); return v }
	switch os.Getenv("GVST_HELPER") {
	case "send-tagged":
		return true, sendTagged(os.Getenv("GVST_IF"), os.Getenv("GVST_DMAC"), os.Getenv("GVST_SRC"), os.Getenv("GVST_DST"),
			atoi("GVST_PORT"), atoi("GVST_VLAN"), 3, os.Getenv("GVST_PAYLOAD"))
	case "recv-tagged":
		return true, recvTagged(os.Getenv("GVST_IF"), atoi("GVST_VLAN"), 4*time.Second)
	}
	return false, nil
}
