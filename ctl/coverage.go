package ctl

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

// Healthz answers an HTTP health check (GET /healthz on the metrics
// listener): 200 "ok" while the control core serves, 503 "stopping" once
// gvsd has begun to shut down. The gRPC health service on the control
// socket says the same to gRPC clients.
func (s *Server) Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	select {
	case <-s.quit:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "stopping")
	default:
		fmt.Fprintln(w, "ok")
	}
}

// coverageCounters are gvs's event counters, summed over bridges, in a
// fixed order: drops by reason, malformed frames, flow lookups, port
// counters and the tracker's.
func coverageCounters(dp *datapath.Datapath) []*ctlpb.CoverageCounter {
	sums := map[string]uint64{}
	var names []string
	add := func(name string, v uint64) {
		if _, ok := sums[name]; !ok {
			names = append(names, name)
		}
		sums[name] += v
	}
	for _, b := range dp.Bridges() {
		for _, r := range datapath.DropReasons() {
			add("drop_"+r.String(), b.Drops(r))
		}
		add("malformed", b.Malformed.Load())
		for id := 0; id < flowtable.NumTables; id++ {
			l, m := b.Flows.Table(uint8(id)).Counters()
			add("flow_lookup", l)
			add("flow_matched", m)
		}
		for _, p := range b.Ports() {
			add("port_rx_packets", p.Stats.RxPackets.Load())
			add("port_rx_dropped", p.Stats.RxDropped.Load())
			add("port_tx_packets", p.Stats.TxPackets.Load())
			add("port_tx_dropped", p.Stats.TxDropped.Load())
		}
	}
	if t, ok := dp.Conntrack.(interface{ Stats() conntrack.Stats }); ok {
		st := t.Stats()
		add("conntrack_new", st.New)
		add("conntrack_invalid", st.Invalid)
		add("conntrack_early_drop", st.EarlyDrop)
		add("conntrack_limit_drop", st.LimitDrop)
		add("conntrack_nat_ignored", st.NATIgnored)
	}
	out := make([]*ctlpb.CoverageCounter, len(names))
	for i, n := range names {
		out[i] = &ctlpb.CoverageCounter{Name: n, Total: sums[n]}
	}
	return out
}

// Coverage returns gvs's event counters (ovs-appctl coverage/show). The
// text keeps OVS's "name ... total: N" lines for the counters that were
// hit and its closing "N events never hit"; gvs keeps no rates, so it
// prints none.
func (s *Server) Coverage(context.Context, *ctlpb.CoverageRequest) (*ctlpb.CoverageResponse, error) {
	cs := coverageCounters(s.dp)
	var b strings.Builder
	b.WriteString("Event coverage (totals since gvsd started; gvs keeps no rates):\n")
	never := 0
	for _, c := range cs {
		if c.Total == 0 {
			never++
			continue
		}
		fmt.Fprintf(&b, "%-26s total: %d\n", c.Name, c.Total)
	}
	fmt.Fprintf(&b, "%d events never hit\n", never)
	return &ctlpb.CoverageResponse{Counters: cs, Text: b.String()}, nil
}

// Memory reports what gvsd holds (ovs-appctl memory/show): bridges,
// ports, rules (flows), MAC-learning entries, conntrack entries and the
// Go heap, as OVS's "name:value" words sorted by name.
func (s *Server) Memory(context.Context, *ctlpb.MemoryRequest) (*ctlpb.MemoryResponse, error) {
	v := map[string]uint64{}
	now := time.Now().UnixNano()
	for _, b := range s.dp.Bridges() {
		v["bridges"]++
		v["ports"] += uint64(len(b.Ports()))
		v["fdb"] += uint64(len(b.FDB.Entries(now)))
		for id := 0; id < flowtable.NumTables; id++ {
			v["rules"] += uint64(b.Flows.Table(uint8(id)).Len())
		}
	}
	if t, ok := s.dp.Conntrack.(interface{ Len() int }); ok {
		v["conntrack"] = uint64(t.Len())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	v["go-heap-bytes"], v["go-sys-bytes"] = ms.HeapAlloc, ms.Sys
	v["goroutines"] = uint64(runtime.NumGoroutine())
	names := make([]string, 0, len(v))
	for n := range v {
		names = append(names, n)
	}
	sort.Strings(names)
	words := make([]string, len(names))
	for i, n := range names {
		words[i] = fmt.Sprintf("%s:%d", n, v[n])
	}
	return &ctlpb.MemoryResponse{Values: v, Text: strings.Join(words, " ") + "\n"}, nil
}
