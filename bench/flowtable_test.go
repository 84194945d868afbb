package bench

import (
	"fmt"
	"strings"
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

// BenchmarkAddFlows parses a 200,000-flow file in ovs-ofctl syntax and
// adds it to a bridge's tables in one transaction, which is what
// `gvsctl add-flows` does; it reports flows per second (target: at least
// 200,000).
func BenchmarkAddFlows(b *testing.B) {
	var file strings.Builder
	const n = 200_000
	for i := 0; i < n; i++ {
		file.WriteString(firewallFlow(i))
		file.WriteByte('\n')
	}
	text := file.String()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mods, err := flowtable.ParseFlows(strings.NewReader(text), flowtable.CmdAdd)
		if err != nil {
			b.Fatal(err)
		}
		if err := flowtable.NewTables().Apply(mods, time.Unix(0, 0)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "flows/s")
}
