package ctl

import (
	"context"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

// conntrackService serves dpctl/dump-conntrack and dpctl/flush-conntrack.
type conntrackService struct {
	ctlpb.UnimplementedConntrackServer
	sw *vswitch.Switch
}

func ctZone(z *uint32) (*uint16, error) {
	if z == nil {
		return nil, nil
	}
	if *z > 65535 {
		return nil, invalid("zone %d out of range (0..65535)", *z)
	}
	v := uint16(*z)
	return &v, nil
}

// DumpConntrack lists connection-tracking entries, of one zone or all.
func (c *conntrackService) DumpConntrack(_ context.Context, r *ctlpb.DumpConntrackRequest) (*ctlpb.DumpConntrackResponse, error) {
	es, err := c.dump(r)
	if err != nil {
		return nil, err
	}
	return ctChunk(es), nil
}

// ctChunkEntries is how many entries one StreamDumpConntrack message
// holds (some 200 bytes of text and as much structure each).
const ctChunkEntries = 1024

// StreamDumpConntrack is DumpConntrack in messages of ctChunkEntries
// entries; the concatenated texts are DumpConntrack's.
func (c *conntrackService) StreamDumpConntrack(r *ctlpb.DumpConntrackRequest, st ctlpb.Conntrack_StreamDumpConntrackServer) error {
	es, err := c.dump(r)
	if err != nil {
		return err
	}
	for len(es) > ctChunkEntries {
		if err := st.Send(ctChunk(es[:ctChunkEntries])); err != nil {
			return err
		}
		es = es[ctChunkEntries:]
	}
	return st.Send(ctChunk(es)) // the rest, or one empty message for none
}

func (c *conntrackService) dump(r *ctlpb.DumpConntrackRequest) ([]conntrack.Entry, error) {
	zone, err := ctZone(r.Zone)
	if err != nil {
		return nil, err
	}
	es, err := c.sw.DumpConntrack(zone)
	if err != nil {
		return nil, grpcError(err)
	}
	return es, nil
}

// ctChunk is the reply for entries es: their dump text and structure.
func ctChunk(es []conntrack.Entry) *ctlpb.DumpConntrackResponse {
	resp := &ctlpb.DumpConntrackResponse{Text: conntrack.Format(es)}
	for _, e := range es {
		pe := &ctlpb.ConntrackEntry{
			Proto: protoString(e), Orig: ctTuple(e.Orig), Reply: ctTuple(e.Reply),
			Zone: uint32(e.Zone), Mark: e.Mark, TcpState: e.TCPState, ExpiresUnixNanos: e.Expires,
		}
		if e.Label.Hi != 0 {
			pe.Label = fmt.Sprintf("0x%x%016x", e.Label.Hi, e.Label.Lo)
		} else {
			pe.Label = fmt.Sprintf("0x%x", e.Label.Lo)
		}
		resp.Entries = append(resp.Entries, pe)
	}
	return resp
}

// FlushConntrack deletes connection-tracking entries, of one zone or all.
func (c *conntrackService) FlushConntrack(_ context.Context, r *ctlpb.FlushConntrackRequest) (*ctlpb.FlushConntrackResponse, error) {
	zone, err := ctZone(r.Zone)
	if err != nil {
		return nil, err
	}
	n, err := c.sw.FlushConntrack(zone)
	if err != nil {
		return nil, grpcError(err)
	}
	return &ctlpb.FlushConntrackResponse{Deleted: uint64(n)}, nil
}

func protoString(e conntrack.Entry) string {
	s := e.String()
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i]
		}
	}
	return s
}

func ctTuple(t conntrack.Tuple) *ctlpb.ConntrackTuple {
	return &ctlpb.ConntrackTuple{
		Src: t.Src.String(), Dst: t.Dst.String(), SrcPort: uint32(t.SrcPort), DstPort: uint32(t.DstPort),
		IcmpId: uint32(t.ICMPID), IcmpType: uint32(t.ICMPType), IcmpCode: uint32(t.ICMPCode),
	}
}

var (
	descCTEntries   = desc("conntrack_entries", "Connection-tracking entries, by zone.", "zone")
	descCTNew       = desc("conntrack_new_total", "Connections committed.")
	descCTInvalid   = desc("conntrack_invalid_total", "Packets conntrack found invalid (+inv).")
	descCTEarlyDrop = desc("conntrack_early_dropped_total", "Unreplied connections evicted to make room for new ones.")
	descCTLimitDrop = desc("conntrack_limit_dropped_total", "Commits refused because the table or the zone was full.")
)

// ConntrackCollector exports the connection tracker's counters.
type ConntrackCollector struct{ dp *datapath.Datapath }

// NewConntrackCollector returns a collector for dp's tracker (it exports
// nothing while dp has none).
func NewConntrackCollector(dp *datapath.Datapath) *ConntrackCollector {
	return &ConntrackCollector{dp: dp}
}

// Describe implements prometheus.Collector.
func (c *ConntrackCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCTEntries, descCTNew, descCTInvalid, descCTEarlyDrop, descCTLimitDrop} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ConntrackCollector) Collect(ch chan<- prometheus.Metric) {
	t, ok := c.dp.Conntrack.(interface{ Stats() conntrack.Stats })
	if !ok {
		return
	}
	s := t.Stats()
	for z, n := range s.ZoneEntries {
		ch <- prometheus.MustNewConstMetric(descCTEntries, prometheus.GaugeValue, float64(n), strconv.Itoa(int(z)))
	}
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{{descCTNew, s.New}, {descCTInvalid, s.Invalid}, {descCTEarlyDrop, s.EarlyDrop}, {descCTLimitDrop, s.LimitDrop}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
