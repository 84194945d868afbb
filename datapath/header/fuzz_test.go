package header

import (
	"encoding/binary"
	"testing"
)

// FuzzChecksum edits one word of arbitrary data and checks that the
// incremental checksum equals the recomputed one; it also runs every IPv4
// and TCP accessor on views that passed Valid, which must never panic.
func FuzzChecksum(f *testing.F) {
	f.Add([]byte(sampleIPv4()), uint8(12), uint32(0x0a000001))
	f.Add([]byte{0, 0, 0, 0}, uint8(0), uint32(0xffff))
	f.Add([]byte{0xff, 0xff, 0, 1, 2}, uint8(1), uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, at uint8, v uint32) {
		if got, want := Sum(data, v), sumPairs(data, v); got != want {
			t.Fatalf("Sum(%x, %#x) = %#x, word by word %#x", data, v, got, want)
		}
		_ = Checksum(data, v)
		if ip := IPv4(data); ip.Valid() {
			_ = ip.CalculateChecksum()
			_, _, _ = ip.Options(), ip.Payload(), ip.IsChecksumValid()
			ip.SetSrcWithChecksum(IPv4Addr{1, 2, 3, 4})
			ip.SetTTLWithChecksum(ip.TTL() - 1)
			ip.SetTOSWithChecksum(ip.TOS() ^ 0xff)
		}
		if tcp := TCP(data); tcp.Valid() {
			_, _ = tcp.Options(), tcp.Payload()
		}
		if len(data) < 4 {
			return
		}
		d := append([]byte(nil), data[:len(data)&^1]...)
		ck := 0
		off := 2 + 2*(int(at)%((len(d)-2)/2))
		binary.BigEndian.PutUint16(d[ck:], 0)
		binary.BigEndian.PutUint16(d[ck:], Checksum(d, 0))
		sum := binary.BigEndian.Uint16(d[ck:])
		old := binary.BigEndian.Uint16(d[off:])
		binary.BigEndian.PutUint16(d[off:], uint16(v))
		inc := UpdateChecksum16(sum, old, uint16(v))
		binary.BigEndian.PutUint16(d[ck:], 0)
		// One's complement has two zeros: 0x0000 and 0xffff are the same
		// checksum (either verifies), so they compare equal here.
		if full := Checksum(d, 0); !allZero(d) && inc != full && !(inc == 0xffff && full == 0 || inc == 0 && full == 0xffff) {
			t.Fatalf("data %x: incremental %#04x, full %#04x", d, inc, full)
		}
	})
}

// sumPairs is Sum written the plain way, 16 bits at a time: the
// reference the word-at-a-time Sum must agree with.
func sumPairs(b []byte, initial uint32) uint32 {
	s := uint64(initial)
	for ; len(b) >= 2; b = b[2:] {
		s += uint64(b[0])<<8 | uint64(b[1])
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return uint32(fold(s))
}
