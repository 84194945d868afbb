package datapath

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/gvs-project/gvs/flowtable"
)

// twin is the same switch twice: one worker with the flow cache, one
// translating every packet.
type twin struct {
	t      *testing.T
	cached *testSwitch
	plain  *testSwitch
	now    int64
}

func newTwin(t *testing.T, build func(s *testSwitch)) *twin {
	tw := &twin{t: t, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()}
	tw.cached, tw.plain = newSwitch(t), newSwitch(t)
	tw.plain.dp.NoFlowCache = true
	tw.plain.w = tw.plain.dp.NewWorker()
	for _, s := range []*testSwitch{tw.cached, tw.plain} {
		s.dp.Conntrack = NewConntrack()
		s.w.Now = func() int64 { return tw.now }
		build(s)
	}
	if tw.cached.w.cache == nil || tw.plain.w.cache != nil {
		t.Fatal("twin workers are not one cached and one plain")
	}
	return tw
}

// both applies a change to both switches.
func (tw *twin) both(f func(s *testSwitch)) {
	f(tw.cached)
	f(tw.plain)
}

// send injects frame on port in both and checks that every port sent the
// same frames.
func (tw *twin) send(step int, port string, frame []byte) {
	tw.t.Helper()
	tw.cached.send(port, frame)
	tw.plain.send(port, frame)
	a, b := tw.cached.got(), tw.plain.got()
	if len(a) != len(b) {
		tw.t.Fatalf("step %d: frame %x on %s: cached output to %d ports, uncached to %d", step, frame, port, len(a), len(b))
	}
	for p, fs := range b {
		if len(a[p]) != len(fs) {
			tw.t.Fatalf("step %d: frame %x on %s: %s got %d frames cached, %d uncached", step, frame, port, p, len(a[p]), len(fs))
		}
		for i := range fs {
			if !bytes.Equal(a[p][i], fs[i]) {
				tw.t.Fatalf("step %d: frame %x on %s: %s frame %d differs:\ncached   %x\nuncached %x", step, frame, port, p, i, a[p][i], fs[i])
			}
		}
	}
}

// counters renders everything a cache hit must keep counting: flow, table,
// port and drop counters, MAC tables.
func counters(s *testSwitch) string {
	var b strings.Builder
	for _, br := range s.dp.Bridges() {
		for _, f := range br.Flows.Flows(nil) {
			n, by := f.Stats()
			fmt.Fprintf(&b, "%s %s n=%d b=%d\n", br.Name, f.Format(flowtable.FormatOptions{NoStats: true}), n, by)
		}
		for id := 0; id < flowtable.NumTables; id++ {
			if l, m := br.Flows.Table(uint8(id)).Counters(); l > 0 {
				fmt.Fprintf(&b, "%s table %d lookups=%d matched=%d\n", br.Name, id, l, m)
			}
		}
		for _, p := range br.Ports() {
			st := &p.Stats
			fmt.Fprintf(&b, "%s %s rx=%d/%d tx=%d/%d/%d\n", br.Name, p.Name, st.RxPackets.Load(), st.RxBytes.Load(),
				st.TxPackets.Load(), st.TxBytes.Load(), st.TxDropped.Load())
		}
		for _, r := range DropReasons() {
			if n := br.Drops(r); n > 0 {
				fmt.Fprintf(&b, "%s drop %s=%d\n", br.Name, r, n)
			}
		}
		var macs []string
		for _, e := range br.FDB.Entries(s.w.Now()) {
			macs = append(macs, fmt.Sprintf("%d/%x@%d", e.VLAN, e.MAC, e.Port))
		}
		sort.Strings(macs)
		fmt.Fprintf(&b, "%s fdb %v\n", br.Name, macs)
	}
	return b.String()
}

// TestFlowCacheMatchesUncached drives Neutron's br-int/br-vlan pipeline
// (NORMAL, patch ports, VLAN rewrite) and its firewall (ct) with a mix of
// frames while flows are added and deleted, ports go down and up, VLANs
// and fragment modes change, MAC tables are flushed and age out: every
// frame a cached worker sends must be byte for byte what a worker that
// translates every packet sends, and all counters must agree at the end.
func TestFlowCacheMatchesUncached(t *testing.T) {
	for _, brInt := range []string{"A-legacy-br-int.flows", "D-master-br-int-ovsfw.flows", learnFlows} {
		t.Run(brInt, func(t *testing.T) { cacheAgainstUncached(t, brInt) })
	}
}

func cacheAgainstUncached(t *testing.T, brInt string) {
	dir := filepath.Join("..", "testdata", "flows")
	if _, err := os.Stat(filepath.Join(dir, "A-legacy-br-int.flows")); err != nil {
		t.Skip("flow files missing")
	}
	var lines []string // flows to add and delete under traffic
	for _, file := range []string{"A-legacy-br-int.flows", "D-master-br-int-ovsfw.flows"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if i := strings.Index(l, " #"); i >= 0 {
				l = l[:i]
			}
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	tw := newTwin(t, func(s *testSwitch) {
		s.exampleTopology()
		if brInt == learnFlows {
			s.flows("br-int", learnPipeline)
		} else if err := s.dp.LoadFlowFile("br-int", filepath.Join(dir, brInt)); err != nil {
			t.Fatal(err)
		}
		if err := s.dp.LoadFlowFile("br-vlan", filepath.Join(dir, "A-legacy-br-vlan.flows")); err != nil {
			t.Fatal(err)
		}
	})
	r := rand.New(rand.NewPCG(7, 8))
	// Each port has its own sources (a MAC that hops between ports moves
	// in the MAC table, which rightly invalidates every NORMAL decision),
	// and few enough frames that they repeat between changes.
	ports := []string{"vm1", "qr1", "fg1", "eth1"}
	pool := map[string][][]byte{}
	for i, p := range ports {
		fs := cacheFrames(t, i)
		r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		pool[p] = fs[:12]
	}
	for step := 0; step < 30000; step++ {
		tw.now += int64(5 * time.Millisecond)
		if step%100 == 0 { // timeouts run now and then, as gvsd's expiry does
			tw.both(func(s *testSwitch) { s.dp.Bridge("br-int").Flows.Expire(time.Unix(0, tw.now)) })
		}
		// Mostly traffic, so entries get reused; now and then a change.
		switch n := r.IntN(100); {
		case n >= 10 || r.IntN(40) != 0:
			p := ports[r.IntN(len(ports))]
			tw.send(step, p, pool[p][r.IntN(len(pool[p]))])
		case n < 4: // a flow comes or goes: one of the files', or one that diverts a port
			line := lines[r.IntN(len(lines))]
			if r.IntN(2) == 0 {
				line = fmt.Sprintf("table=0,priority=%d,in_port=%d,actions=%s", 50+r.IntN(3), []int{5, 6, 7, 1}[r.IntN(4)],
					[]string{"drop", "output:6", "mod_vlan_vid:3,output:1", "NORMAL"}[r.IntN(4)])
			}
			del := r.IntN(3) == 0
			tw.both(func(s *testSwitch) {
				b := s.dp.Bridge("br-int")
				m, err := flowtable.ParseFlowWith(line, flowtable.CmdAdd, flowtable.ParseOptions{Ports: b.ResolvePort})
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				if del {
					m.Command, m.OutPort = flowtable.CmdDeleteStrict, flowtable.PortNone
				}
				if err := b.Flows.Apply([]*flowtable.FlowMod{m}, time.Unix(0, tw.now)); err != nil {
					t.Fatalf("%s: %v", line, err)
				}
			})
		case n < 6: // a port goes down or up
			name := ports[r.IntN(len(ports))]
			up := r.IntN(2) == 0
			tw.both(func(s *testSwitch) { s.dp.PortByName(name).Up.Store(up) })
		case n < 7:
			tag := uint16(1 + r.IntN(2))
			tw.both(func(s *testSwitch) { s.dp.PortByName("qr1").SetVLAN(VLANAccess, tag, true, nil) })
		case n < 8:
			tw.both(func(s *testSwitch) { s.dp.Bridge("br-int").FDB.Flush() })
		case n < 9:
			m := FragMode(r.IntN(3))
			tw.both(func(s *testSwitch) { s.dp.Bridge("br-int").SetFragMode(m) })
		case n < 10 && r.IntN(2) == 0:
			tw.now += int64(400 * time.Second) // MAC entries age out
		default:
			tw.now += int64(20 * time.Second)
		}
	}
	if a, b := counters(tw.cached), counters(tw.plain); a != b {
		t.Fatalf("counters differ\ncached:\n%s\nuncached:\n%s", a, b)
	}
	c := tw.cached.w.cache
	ct := tw.cached.dp.Conntrack.(interface{ Len() int }).Len()
	t.Logf("cache: %d hits, %d misses, %d entries; %d connections tracked", c.hits, c.misses, c.n, ct)
	if strings.Contains(brInt, "ovsfw") && ct == 0 {
		t.Fatal("the firewall run tracked no connection")
	}
	if c.hits < c.misses {
		t.Fatalf("the cache answered %d lookups and missed %d: the test exercises too little of it", c.hits, c.misses)
	}
}

// learnFlows names the learning pipeline below (br-tun's table 10 in
// spirit: learn where each source is, forward by what was learned).
const learnFlows = "learn"

const learnPipeline = `table=0,priority=1,actions=learn(table=10,hard_timeout=30,priority=5,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,10)
table=10,priority=0,actions=NORMAL`

// cacheFrames are frames from source i (0..3) of the example's VMs and
// gateway to the others, tagged and untagged, TCP/UDP/ARP, fragments
// among them.
func cacheFrames(t *testing.T, i int) [][]byte {
	macs := []net.HardwareAddr{macVM, macGW, macB, {0xfa, 0x16, 0x3f, 0, 0, 0x0a}, macBC}
	ips := []net.IP{ipVM, ipGW, ipB, ipB}
	var out [][]byte
	src := macs[i]
	{
		for j, dst := range macs {
			if i == j {
				continue
			}
			for _, vlan := range []int{-1, 1, 196} {
				out = append(out,
					frame(t, src, dst, vlan, arpRequest(src, ips[i], ips[j%4])),
					frame(t, src, dst, vlan, append([]gopacket.SerializableLayer{ipv4(ips[i], ips[j%4], layers.IPProtocolUDP)}, udp(1000+i, 53)...)...),
					frame(t, src, dst, vlan, tcpLayers(ips[i], ips[j%4], 2000+j, 22, i%2 == 0)...),
				)
				first := ipv4(ips[i], ips[j%4], layers.IPProtocolUDP)
				first.Flags = layers.IPv4MoreFragments
				out = append(out, frame(t, src, dst, vlan, append([]gopacket.SerializableLayer{first}, udp(1000, 53)...)...))
			}
		}
	}
	return out
}

func tcpLayers(src, dst net.IP, sport, dport int, syn bool) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{ipv4(src, dst, layers.IPProtocolTCP),
		&layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: syn, ACK: !syn, Seq: 1, Window: 1000},
		gopacket.Payload("gvs")}
}

// TestFlowLimit: a worker's cache holds at most the datapath's flow limit
// (other_config:flow-limit), starting again empty when full, and still
// forwards as without a cache.
func TestFlowLimit(t *testing.T) {
	s := newSwitch(t)
	s.bridge("br0", FailStandalone)
	s.port("br0", "p1:1")
	s.port("br0", "p2:2")
	s.dp.SetFlowLimit(4)
	if s.dp.FlowLimit() != 4 {
		t.Fatalf("FlowLimit = %d", s.dp.FlowLimit())
	}
	for i := 0; i < 40; i++ {
		src := net.HardwareAddr{2, 0, 0, 0, 1, byte(i)}
		s.send("p1", frame(t, src, macBC, -1, append([]gopacket.SerializableLayer{ipv4(ipVM, ipB, layers.IPProtocolUDP)}, udp(1000+i, 53)...)...))
		if got := s.got(); len(got["p2"]) != 1 {
			t.Fatalf("frame %d not flooded to p2: %v", i, got)
		}
		if n := s.w.cache.n; n > 4 {
			t.Fatalf("cache holds %d entries over its limit of 4", n)
		}
	}
	s.dp.SetFlowLimit(0)
	if s.dp.FlowLimit() != DefaultFlowLimit {
		t.Fatalf("FlowLimit after reset = %d", s.dp.FlowLimit())
	}
}
