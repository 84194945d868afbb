package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/gvs-project/gvs/flowtable"
)

// firewallFlow returns the i-th of a family of distinct Neutron-firewall
// style flows (table 82, per-port registers, remote-group prefixes).
func firewallFlow(i int) string {
	return fmt.Sprintf("table=82,priority=70,dl_type=0x0800,reg5=%d,reg6=%d,nw_src=10.%d.%d.%d/32,ct_state=+new-est,actions=set_field:%d->reg7,ct(commit,zone=NXM_NX_REG6[0..15]),output:%d",
		i%4096, i%64, i>>16&0xff, i>>8&0xff, i&0xff, i, i%4096+1)
}

// BenchmarkParseAndInsert parses flows in ovs-ofctl syntax and adds them
// to a bridge's tables in batches of 1,000, as gvsctl add-flows does; it
// reports flows per second (the target is at least 200,000).
func BenchmarkParseAndInsert(b *testing.B) {
	const batch = 1000
	texts := make([]string, 200_000)
	for i := range texts {
		texts[i] = firewallFlow(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		t := flowtable.NewTables()
		mods := make([]*flowtable.FlowMod, 0, batch)
		for j, s := range texts {
			m, err := flowtable.ParseFlow(s, flowtable.CmdAdd)
			if err != nil {
				b.Fatal(err)
			}
			mods = append(mods, m)
			if len(mods) == batch || j == len(texts)-1 {
				if err := t.Apply(mods, time.Unix(0, 0)); err != nil {
					b.Fatal(err)
				}
				mods = mods[:0]
			}
		}
		n += len(texts)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "flows/s")
}
