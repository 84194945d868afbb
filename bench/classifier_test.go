package bench

import (
	"fmt"
	"github.com/gvs-project/gvs/flowtable"
	"math/rand/v2"
	"testing"
	"time"
)

// benchShapes are ten realistic masks, each with its own priority band
// (as pipelines have them): the flows of a shape get priorities in
// [base, base+5).
var benchShapes = []struct {
	base   uint16
	fields []fv
}{
	{100, []fv{{f: flowtable.FieldInPort}, {f: flowtable.FieldEthSrc}}},                                           // anti-spoofing
	{95, []fv{{f: flowtable.FieldEthType}, {f: flowtable.FieldIPv4Dst}}},                                          // host routes
	{90, []fv{{f: flowtable.FieldEthType}, {f: flowtable.FieldIPProto}, {f: flowtable.FieldTCPDst}}},              // firewall rule
	{85, []fv{{f: flowtable.FieldReg0 + 5}, {f: flowtable.FieldCTState, mask: 0x3f}, {f: flowtable.FieldCTZone}}}, // tracked state
	{80, []fv{{f: flowtable.FieldEthDst}, {f: flowtable.FieldVLANTCI, mask: 0x0fff}}},                             // learned MACs
	{75, []fv{{f: flowtable.FieldTunID}, {f: flowtable.FieldInPort}}},                                             // tunnels
	{70, []fv{{f: flowtable.FieldEthType}, {f: flowtable.FieldIPv6Dst}}},                                          // IPv6 hosts
	{60, []fv{{f: flowtable.FieldEthType}, {f: flowtable.FieldIPv4Dst, mask: 0xffffff00}}},                        // subnets
	{50, []fv{{f: flowtable.FieldReg0 + 5}}},                                                                      // per port
	{10, []fv{{f: flowtable.FieldInPort}}},                                                                        // ingress
}

func benchValue(r *rand.Rand, f flowtable.FieldID) flowtable.Value {
	switch f {
	case flowtable.FieldEthType:
		if r.IntN(8) == 0 {
			return flowtable.Value{Lo: flowtable.EthTypeIPv6}
		}
		return flowtable.Value{Lo: flowtable.EthTypeIPv4}
	case flowtable.FieldIPProto:
		return flowtable.Value{Lo: []uint64{flowtable.ProtoTCP, flowtable.ProtoUDP, flowtable.ProtoICMP}[r.IntN(3)]}
	case flowtable.FieldInPort:
		return flowtable.Value{Lo: uint64(1 + r.IntN(0xfeff))}
	case flowtable.FieldIPv6Dst:
		return flowtable.Value{Hi: 0xfd00_0000_0000_0000 | r.Uint64()&0xffff, Lo: r.Uint64()}
	case flowtable.FieldIPv4Dst:
		return flowtable.Value{Lo: 0x0a000000 | r.Uint64()&0xffffff}
	case flowtable.FieldEthSrc, flowtable.FieldEthDst:
		return flowtable.Value{Lo: 0xfa163e000000 | r.Uint64()&0xffffff}
	}
	return flowtable.Value{Lo: r.Uint64()}
}

func benchFlows(n int, r *rand.Rand) []*flowtable.Flow {
	fl := make([]*flowtable.Flow, n)
	for i := range fl {
		sh := benchShapes[i%len(benchShapes)]
		f := &flowtable.Flow{Priority: sh.base + uint16(r.IntN(5)), Actions: out(flowtable.Port(1 + r.IntN(100)))}
		for _, c := range sh.fields {
			fd := flowtable.FieldByID(c.f)
			mask := fd.FullMask()
			if c.mask != 0 {
				mask = flowtable.Value{Lo: c.mask}
			}
			f.Match.Set(fd, benchValue(r, c.f), mask)
		}
		fl[i] = f
	}
	return fl
}

// benchKeys returns keys built from random flows (hits, with the other
// fields random) and a tenth of random keys (mostly misses).
func benchKeys(flows []*flowtable.Flow, n int, r *rand.Rand) []flowtable.Key {
	keys := make([]flowtable.Key, n)
	all := []flowtable.FieldID{flowtable.FieldInPort, flowtable.FieldEthSrc, flowtable.FieldEthDst, flowtable.FieldEthType, flowtable.FieldIPv4Dst, flowtable.FieldIPProto, flowtable.FieldTCPDst,
		flowtable.FieldReg0 + 5, flowtable.FieldCTState, flowtable.FieldCTZone, flowtable.FieldVLANTCI, flowtable.FieldTunID}
	for i := range keys {
		k := &keys[i]
		for _, f := range all {
			k.Set(flowtable.FieldByID(f), benchValue(r, f))
		}
		if i%10 == 9 {
			continue
		}
		f := flows[r.IntN(len(flows))]
		for w := range k {
			k[w] = k[w]&^f.Match.Mask[w] | f.Match.Value[w]
		}
	}
	return keys
}

// benchLookup looks up nkeys distinct keys (a power of two) round robin in
// a table of n flows. A few thousand keys stand for the active connections
// of a busy host: their flows stay in the CPU caches whatever the table
// size, which is what a real datapath sees. The Cold variants use far more
// keys than the caches can hold flows for, so they mostly measure memory
// latency.
func benchLookup(b *testing.B, n, nkeys int) {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	flows := benchFlows(n, r)
	keys := benchKeys(flows, nkeys, r)
	ts := flowtable.NewTables()
	mods := make([]*flowtable.FlowMod, len(flows))
	for i, f := range flows {
		mods[i] = add(f)
	}
	if err := ts.Apply(mods, time.Now()); err != nil {
		b.Fatal(err)
	}
	s := ts.Snapshot()
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var wc flowtable.Key
		if s.Lookup(0, &keys[i&(len(keys)-1)], &wc) != nil {
			hits++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pps")
	b.ReportMetric(float64(hits)/float64(b.N), "hit-ratio")
}

func BenchmarkLookup1k(b *testing.B)       { benchLookup(b, 1_000, 1<<10) }
func BenchmarkLookup100k(b *testing.B)     { benchLookup(b, 100_000, 1<<10) }
func BenchmarkLookup1kCold(b *testing.B)   { benchLookup(b, 1_000, 1<<16) }
func BenchmarkLookup100kCold(b *testing.B) { benchLookup(b, 100_000, 1<<16) }

// BenchmarkLookupParallel measures lookups from all cores at once (the
// per-table counters are shared).
func BenchmarkLookupParallel(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 7))
	flows := benchFlows(100_000, r)
	keys := benchKeys(flows, 1<<10, r)
	ts := flowtable.NewTables()
	mods := make([]*flowtable.FlowMod, len(flows))
	for i, f := range flows {
		mods[i] = add(f)
	}
	if err := ts.Apply(mods, time.Now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := ts.Snapshot()
		i := rand.IntN(len(keys))
		for pb.Next() {
			var wc flowtable.Key
			s.Lookup(0, &keys[i&(len(keys)-1)], &wc)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pps")
}

// BenchmarkInsert adds 200,000 flows to empty tables through flowtable.Apply in
// batches, the way add-flows and a controller's bundles arrive.
func BenchmarkInsert(b *testing.B) {
	const n = 200_000
	for _, batch := range []int{1_000, 10_000, n} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 7))
			b.ReportAllocs()
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				flows := benchFlows(n, r)
				mods := make([]*flowtable.FlowMod, n)
				for i, f := range flows {
					mods[i] = add(f)
				}
				ts := flowtable.NewTables()
				b.StartTimer()
				start := time.Now()
				for i := 0; i < n; i += batch {
					if err := ts.Apply(mods[i:min(i+batch, n)], start); err != nil {
						b.Fatal(err)
					}
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "flows/s")
		})
	}
}

// BenchmarkLearnRefresh is the learn action on a flow that exists already:
// the common case on a tunnel bridge, run for every packet.
func BenchmarkLearnRefresh(b *testing.B) {
	ts := flowtable.NewTables()
	mk := func() *flowtable.Flow {
		return &flowtable.Flow{Table: 20, Priority: 1, HardTimeout: 300, Match: mkMatch(ex(flowtable.FieldEthDst, 0xfa163e000001), fv{f: flowtable.FieldVLANTCI, v: 1, mask: 0xfff}), Actions: []flowtable.Action{flowtable.SetField{Field: flowtable.FieldTunID, Value: flowtable.Value{Lo: 5}, Mask: flowtable.Value{Lo: ^uint64(0)}, Load: true}, flowtable.Output{Port: 2}}}
	}
	ts.Learn(mk(), 0, time.Now())
	f := mk()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ts.Learn(f, 0, now)
	}
}

// BenchmarkApplyOne is one flow mod per flowtable.Apply (an OpenFlow controller
// without bundles, or the learn action adding a new flow) on a table of
// 100,000 flows: copy-on-write must copy a shard, not the table.
func BenchmarkApplyOne(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 7))
	flows := benchFlows(100_000, r)
	mods := make([]*flowtable.FlowMod, len(flows))
	for i, f := range flows {
		mods[i] = add(f)
	}
	ts := flowtable.NewTables()
	if err := ts.Apply(mods, time.Now()); err != nil {
		b.Fatal(err)
	}
	extra := benchFlows(1<<14, r)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f := extra[i&(len(extra)-1)]
		cmd := flowtable.CmdAdd
		if i&(len(extra)) != 0 {
			cmd = flowtable.CmdDeleteStrict
		}
		if err := ts.Apply([]*flowtable.FlowMod{{Command: cmd, Flow: f, OutPort: flowtable.PortNone}}, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mods/s")
}

// fv is one field of a benchmark flow shape: f exact, or under mask.
type fv struct {
	f    flowtable.FieldID
	v    uint64
	mask uint64
}

func out(p flowtable.Port) []flowtable.Action { return []flowtable.Action{flowtable.Output{Port: p}} }

func add(f *flowtable.Flow) *flowtable.FlowMod {
	return &flowtable.FlowMod{Command: flowtable.CmdAdd, Flow: f, OutPort: flowtable.PortNone}
}

func ex(f flowtable.FieldID, v uint64) fv { return fv{f: f, v: v} }

func mkMatch(cs ...fv) flowtable.Match {
	var m flowtable.Match
	for _, c := range cs {
		fd := flowtable.FieldByID(c.f)
		mask := fd.FullMask()
		if c.mask != 0 {
			mask = flowtable.Value{Lo: c.mask}
		}
		m.Set(fd, flowtable.Value{Lo: c.v}, mask)
	}
	return m
}
