package conntrack

import (
	"testing"

	"github.com/gvs-project/gvs/datapath/header"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// BenchmarkNATEstablished: ct(nat) on a packet of an established SNATed
// UDP connection, translation and checksum updates included. Must not
// allocate.
func BenchmarkNATEstablished(b *testing.B) {
	tr := New(Config{})
	nat := &flowtable.NAT{Src: true, AddrMin: mustAddr("10.100.0.1"), AddrMax: mustAddr("10.100.0.1"), PortMin: 5000, PortMax: 6000}
	out := rawUDPPorts(0x0a000001, 0x08080808, 40000, 53)
	g := append([]byte(nil), out...)
	natRun(tr, commit(1), nat, g, 0)
	reply := rawUDPPorts(0x08080808, 0x0a640001, 53, 0)
	copy(reply[14+22:], g[14+20:14+22]) // the chosen port
	if st := natRun(tr, lookup(1), &flowtable.NAT{}, reply, 0); st != StateTrk|StateEst|StateRpl|StateDNAT {
		b.Fatalf("reply %s", stateString(st))
	}
	bare := &flowtable.NAT{}
	req := lookup(1)
	var p packet.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(g, out)
		p.Reset(g, 0, len(g))
		if r := tr.ExecuteNAT(&p, req, bare, 1); r.State != StateTrk|StateEst|StateSNAT {
			b.Fatalf("state %s", stateString(uint32(r.State)))
		}
	}
}

// BenchmarkNATNewConnection: commit of a new SNATed UDP connection with a
// port range (new NATed connections per second per core = 1e9 / ns/op).
func BenchmarkNATNewConnection(b *testing.B) {
	tr := New(Config{MaxEntries: b.N + 1, NoChecksums: true})
	nat := &flowtable.NAT{Src: true, AddrMin: mustAddr("10.100.0.1"), AddrMax: mustAddr("10.100.0.16"), PortMin: 1024, PortMax: 65535}
	f := rawUDPPorts(0x0a000001, 0x08080808, 40000, 53)
	g := make([]byte, len(f))
	req := commit(1)
	var p packet.Packet
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(g, f)
		src := 0x0a000000 + uint32(i)
		ip := header.IPv4(g[14:])
		ip[12], ip[13], ip[14], ip[15] = byte(src>>24), byte(src>>16), byte(src>>8), byte(src)
		p.Reset(g, 0, len(g))
		if r := tr.ExecuteNAT(&p, req, nat, 1); r.State != StateTrk|StateNew|StateSNAT {
			b.Fatalf("connection %d: %s", i, stateString(uint32(r.State)))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
}
