package netdev

import (
	"encoding/binary"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
)

// udp4 builds an Ethernet/IPv4/UDP frame whose UDP checksum field holds
// only the pseudo-header sum, as a stack offloading the checksum leaves it.
func udp4(payload []byte, tagged bool) []byte {
	var f []byte
	f = append(f, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1)
	if tagged {
		f = append(f, 0x81, 0, 0, 7)
	}
	f = append(f, 8, 0)
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(payload)))
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip, 0))
	udp := make([]byte, 8)
	binary.BigEndian.PutUint16(udp[0:], 1000)
	binary.BigEndian.PutUint16(udp[2:], 2000)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	binary.BigEndian.PutUint16(udp[6:], uint16(header.PseudoHeaderSum(17, ip[12:16], ip[16:20], uint32(8+len(payload)))))
	f = append(f, ip...)
	f = append(f, udp...)
	return append(f, payload...)
}

func l4Valid(f []byte, l3 int) bool {
	ip := f[l3:]
	seg := ip[20:binary.BigEndian.Uint16(ip[2:])]
	return header.Checksum(seg, header.PseudoHeaderSum(ip[9], ip[12:16], ip[16:20], uint32(len(seg)))) == 0
}

func TestCompleteChecksum(t *testing.T) {
	for _, tagged := range []bool{false, true} {
		f := udp4([]byte("hello, partial checksum"), tagged)
		l3 := 14
		if tagged {
			l3 = 18
		}
		if l4Valid(f, l3) {
			t.Fatal("test frame already has a valid checksum")
		}
		completeChecksum(f)
		if !l4Valid(f, l3) {
			t.Errorf("tagged=%v: checksum not completed", tagged)
		}
	}
}

func TestFinishPartial(t *testing.T) {
	f := udp4([]byte("virtio csum_start/csum_offset"), false)
	if !finishPartial(f, 34, 6) || !l4Valid(f, 14) {
		t.Error("NEEDS_CSUM checksum not completed")
	}
	if finishPartial(f, len(f)-1, 6) || finishPartial(f, -1, 0) {
		t.Error("out-of-range csum_start/offset accepted")
	}
}

// FuzzChecksum: no frame makes the checksum helpers panic.
func FuzzChecksum(f *testing.F) {
	f.Add(udp4([]byte("x"), false), 34, 6)
	f.Add(udp4(nil, true), 0, 0)
	f.Fuzz(func(t *testing.T, b []byte, start, off int) {
		c := append([]byte(nil), b...)
		completeChecksum(c)
		finishPartial(c, start, off)
	})
}
