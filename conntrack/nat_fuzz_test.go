package conntrack

import (
	"encoding/binary"
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/flowtable"
)

// FuzzNATICMPError: ICMP errors (and the quoted bytes as a frame of their
// own) run through ct(nat) against one SNATed UDP connection: nothing
// panics, a translated error keeps correct IPv4 and ICMP checksums, no
// packet but a committed one adds an entry, and a flush leaves no entry
// (NATed ones included) behind.
func FuzzNATICMPError(f *testing.F) {
	// The SNATed packet as it left: 10.100.0.1:1000 -> 10.0.0.2:53.
	u := rawUDP()[14:]
	copy(u[12:], []byte{10, 100, 0, 1})
	binary.BigEndian.PutUint16(u[10:], 0)
	binary.BigEndian.PutUint16(u[10:], header.Checksum(u[:20], 0))
	f.Add(append([]byte(nil), u...), uint8(3), false, false)
	f.Add(append([]byte(nil), u...), uint8(11), false, true)
	f.Add(append([]byte(nil), u[:24]...), uint8(3), false, false)
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 17, 64}, uint8(1), true, false)
	f.Fuzz(func(t *testing.T, quoted []byte, typ uint8, v6, commit bool) {
		tr := New(Config{})
		gw := &flowtable.NAT{Src: true, AddrMin: mustAddr("10.100.0.1"), AddrMax: mustAddr("10.100.0.1")}
		if st := natRun(tr, &Request{Commit: true}, gw, rawUDP(), 0); st != StateTrk|StateNew|StateSNAT {
			t.Fatalf("setup: %s", stateString(st))
		}
		fr := icmpErrRaw(quoted, typ, v6)
		// The error comes to the translated address.
		if !v6 {
			ip := fr[14:]
			copy(ip[16:], []byte{10, 100, 0, 1})
			binary.BigEndian.PutUint16(ip[10:], 0)
			binary.BigEndian.PutUint16(ip[10:], header.Checksum(ip[:20], 0))
			ic := ip[20:]
			binary.BigEndian.PutUint16(ic[2:], 0)
			binary.BigEndian.PutUint16(ic[2:], header.Checksum(ic, 0))
		}
		for _, nat := range []*flowtable.NAT{{}, gw} {
			g := append([]byte(nil), fr...)
			st := natRun(tr, &Request{Commit: commit}, nat, g, 1)
			if st&StateTrk == 0 {
				t.Fatalf("untracked result %s", stateString(st))
			}
			if st&StateRel != 0 && st&(StateSNAT|StateDNAT) != 0 && !v6 {
				ip := g[14:]
				if header.Checksum(ip[:20], 0) != 0 || header.Checksum(ip[20:], 0) != 0 {
					t.Fatalf("translated error has bad checksums: % x", g)
				}
			}
			if !commit && tr.Len() != 1 {
				t.Fatalf("%d entries after an uncommitted %s", tr.Len(), stateString(st))
			}
		}
		natRun(tr, &Request{Commit: true}, gw, append([]byte(nil), quoted...), 2)
		if n := tr.Len(); n > 4 {
			t.Fatalf("%d entries", n)
		}
		if s := tr.Stats(); s.NATEntries > uint64(s.Entries) {
			t.Fatalf("%d NAT entries of %d", s.NATEntries, s.Entries)
		}
		tr.Flush(nil)
		if s := tr.Stats(); s.Entries != 0 || s.NATEntries != 0 || tr.shards[natShard].n.Load() != 0 || tr.natZone[0].Load() != 0 {
			t.Fatalf("after flush: %d entries, %d NAT entries", s.Entries, s.NATEntries)
		}
	})
}
