package conntrack

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath/header"
)

// rawTCP builds an IPv4 TCP segment by hand (fast, no gopacket), with a
// correct checksum.
func rawTCP(src, dst uint32, sport, dport uint16, flags uint8, seq, ack uint32, win uint16, payload int) []byte {
	f := make([]byte, 14+20+20+payload)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+payload))
	ip[8], ip[9] = 64, protoTCP
	binary.BigEndian.PutUint32(ip[12:], src)
	binary.BigEndian.PutUint32(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
	t := ip[20:]
	binary.BigEndian.PutUint16(t, sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = 5 << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], win)
	binary.BigEndian.PutUint16(t[16:], header.Checksum(t, header.PseudoHeaderSum(protoTCP, ip[12:16], ip[16:20], uint32(len(t)))))
	return f
}

// FuzzTCP drives random segment sequences between two hosts over a few
// port pairs and zones: nothing panics, the table never exceeds its limit,
// the counters agree with the dump, and everything expires once time moves
// past the longest timeout.
func FuzzTCP(f *testing.F) {
	f.Add([]byte{0, tcpSYN, 0, 0, 0, 0, 1, 0, 1, tcpSYN | tcpACK, 0, 0, 0, 1, 1, 0, 0, tcpACK, 0, 1, 0, 1, 1, 0})
	f.Add([]byte{0, tcpSYN, 0, 0, 0, 0, 1, 1, 1, tcpRST, 0, 0, 0, 0, 0, 1, 0, tcpFIN | tcpACK, 5, 5, 5, 5, 5, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 8
		tr := New(Config{MaxEntries: limit, Liberal: len(data)%7 == 0})
		now := int64(0)
		seq := [2]uint32{1000, 5000}
		for len(data) >= 8 {
			c := data[:8]
			data = data[8:]
			dir := c[0] & 1
			port := uint16(c[0]>>1&3) + 1
			zone := uint16(c[0] >> 3 & 1)
			flags := c[1] & 0x3f
			s := seq[dir] + uint32(int8(c[2]))*uint32(c[3])
			a := seq[1-dir] + uint32(int8(c[4]))
			win := uint16(c[5]) << 4
			payload := int(c[6] & 0x1f)
			now += int64(c[7]) * int64(time.Second) / 4
			var fr []byte
			if dir == 0 {
				fr = rawTCP(0x0a000001, 0x0a000002, 40000+port, 22, flags, s, a, win, payload)
			} else {
				fr = rawTCP(0x0a000002, 0x0a000001, 22, 40000+port, flags, s, a, win, payload)
			}
			act := &Request{Zone: zone, Commit: c[6]&0x80 != 0, Force: c[6]&0xc0 == 0xc0}
			var k Result
			execute(tr, act, fr, &k, now)
			st := uint32(k.State)
			if st&StateTrk == 0 || st&(StateNew|StateEst|StateRel|StateInv) == 0 {
				t.Fatalf("ct_state %s", stateString(st))
			}
			seq[dir] = s + uint32(payload)
			if tr.Len() > limit {
				t.Fatalf("%d entries over the limit %d", tr.Len(), limit)
			}
		}
		if n := len(tr.Dump(nil)); n > tr.Len() {
			t.Fatalf("dump has %d entries, count says %d", n, tr.Len())
		}
		tr.Sweep(now)
		if n := len(tr.Dump(nil)); n != tr.Len() {
			t.Fatalf("after a sweep, dump has %d entries, count says %d", n, tr.Len())
		}
		tr.Sweep(now + int64(25*time.Hour))
		if tr.Len() != 0 || len(tr.Dump(nil)) != 0 {
			t.Fatalf("%d entries left after every timeout", tr.Len())
		}
		for z, n := range tr.Stats().ZoneEntries {
			t.Fatalf("zone %d still counts %d", z, n)
		}
	})
}

// FuzzICMPError feeds arbitrary bytes as the quoted packet of an ICMP error
// (and as a whole frame): nothing panics and errors never create entries.
func FuzzICMPError(f *testing.F) {
	u := make([]byte, 28)
	u[0], u[9] = 0x45, protoUDP
	binary.BigEndian.PutUint16(u[2:], 40)
	copy(u[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(u[20:], 1000)
	binary.BigEndian.PutUint16(u[22:], 53)
	f.Add(u, uint8(3), false)
	f.Add(u, uint8(11), true)
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 17, 64}, uint8(1), false)
	f.Fuzz(func(t *testing.T, quoted []byte, typ uint8, v6 bool) {
		tr := New(Config{})
		// One real connection for the errors to relate to.
		var k Result
		execute(tr, &Request{Commit: true}, rawUDP(), &k, 0)
		fr := icmpErrRaw(quoted, typ, v6)
		for _, commit := range []bool{false, true} {
			k = Result{}
			execute(tr, &Request{Commit: commit}, fr, &k, 1)
			st := uint32(k.State)
			if st&StateTrk == 0 {
				t.Fatalf("untracked result %s", stateString(st))
			}
			if st&StateRel != 0 && st&(StateNew|StateEst|StateInv) != 0 {
				t.Fatalf("related with %s", stateString(st))
			}
		}
		if tr.Len() > 2 {
			t.Fatalf("%d entries", tr.Len())
		}
		// Only a committed +new (an echo request) may add an entry.
		if st := uint32(k.State); st&StateNew == 0 && tr.Len() != 1 {
			t.Fatalf("a %s ICMP packet created an entry: %d entries", stateString(st), tr.Len())
		}
		// The same bytes as a whole frame.
		k = Result{}
		execute(tr, &Request{Commit: true}, quoted, &k, 2)
	})
}

func rawUDP() []byte {
	f := make([]byte, 14+28)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, protoUDP
	binary.BigEndian.PutUint16(ip[2:], 28)
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
	binary.BigEndian.PutUint16(ip[20:], 1000)
	binary.BigEndian.PutUint16(ip[22:], 53)
	binary.BigEndian.PutUint16(ip[24:], 8)
	return f
}

// icmpErrRaw wraps quoted in an ICMP (or ICMPv6) error 10.0.0.2 -> 10.0.0.1
// with correct checksums.
func icmpErrRaw(quoted []byte, typ uint8, v6 bool) []byte {
	if len(quoted) > 1400 {
		quoted = quoted[:1400]
	}
	if v6 {
		f := make([]byte, 14+40+8+len(quoted))
		binary.BigEndian.PutUint16(f[12:], 0x86dd)
		ip := f[14:]
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(8+len(quoted)))
		ip[6], ip[7] = protoICMPv6, 64
		ip[8+15], ip[24+15] = 2, 1
		ic := ip[40:]
		ic[0] = typ % 5
		copy(ic[8:], quoted)
		binary.BigEndian.PutUint16(ic[2:], header.Checksum(ic, header.PseudoHeaderSum(protoICMPv6, ip[8:24], ip[24:40], uint32(len(ic)))))
		return f
	}
	f := make([]byte, 14+20+8+len(quoted))
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, protoICMP
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(quoted)))
	copy(ip[12:], []byte{10, 0, 0, 2, 10, 0, 0, 1})
	binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
	ic := ip[20:]
	ic[0] = typ
	copy(ic[8:], quoted)
	binary.BigEndian.PutUint16(ic[2:], header.Checksum(ic, 0))
	return f
}
