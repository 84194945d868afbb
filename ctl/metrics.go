package ctl

import (
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
	"github.com/gvs-project/gvs/vswitch"
)

// Version is gvs's version, set at build time with -ldflags.
var Version = "dev"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("gvs_"+name, help, labels, nil)
}

var (
	descPortRxPackets = desc("port_rx_packets_total", "Packets received on a port.", "bridge", "port")
	descPortRxBytes   = desc("port_rx_bytes_total", "Bytes received on a port.", "bridge", "port")
	descPortRxDropped = desc("port_rx_dropped_total", "Received packets a port dropped.", "bridge", "port")
	descPortTxPackets = desc("port_tx_packets_total", "Packets sent on a port.", "bridge", "port")
	descPortTxBytes   = desc("port_tx_bytes_total", "Bytes sent on a port.", "bridge", "port")
	descPortTxDropped = desc("port_tx_dropped_total", "Packets a port failed to send.", "bridge", "port")
	descPortLinkUp    = desc("port_link_up", "1 while a port forwards (its device is open and its link running), else 0.", "bridge", "port")
	descPortDevError  = desc("port_device_error", "1 for a port whose device cannot be used (its interface is missing, say), with the reason.", "bridge", "port", "error")
	descLookups       = desc("flowtable_lookups_total", "Lookups in a flow table.", "bridge", "table")
	descMatched       = desc("flowtable_matched_total", "Lookups in a flow table that matched a flow.", "bridge", "table")
	descFlows         = desc("flowtable_flows", "Flows in a flow table.", "bridge", "table")
	descDrops         = desc("datapath_drops_total", "Packets that produced no output, by reason.", "bridge", "reason")
	descMalformed     = desc("datapath_malformed_total", "Frames with invalid headers (parsed as far as valid and forwarded).", "bridge")
	descFDB           = desc("fdb_entries", "MAC learning table entries.", "bridge")
	descBuild         = desc("build_info", "Build information; always 1.", "version", "goversion")
)

// Collector exports a datapath's counters to Prometheus, read at scrape
// time: the packet path only increments plain atomic counters.
type Collector struct{ dp *datapath.Datapath }

// NewCollector returns a collector for dp.
func NewCollector(dp *datapath.Datapath) *Collector { return &Collector{dp: dp} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPortRxPackets, descPortRxBytes, descPortRxDropped, descPortTxPackets,
		descPortTxBytes, descPortTxDropped, descPortLinkUp, descPortDevError, descLookups, descMatched, descFlows, descDrops, descMalformed, descFDB, descBuild} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	gauge(descBuild, 1, Version, runtime.Version())
	now := time.Now().UnixNano()
	for _, b := range c.dp.Bridges() {
		for _, p := range b.Ports() {
			s := &p.Stats
			counter(descPortRxPackets, s.RxPackets.Load(), b.Name, p.Name)
			counter(descPortRxBytes, s.RxBytes.Load(), b.Name, p.Name)
			counter(descPortRxDropped, s.RxDropped.Load(), b.Name, p.Name)
			counter(descPortTxPackets, s.TxPackets.Load(), b.Name, p.Name)
			counter(descPortTxBytes, s.TxBytes.Load(), b.Name, p.Name)
			counter(descPortTxDropped, s.TxDropped.Load(), b.Name, p.Name)
			up := 0.0
			if p.Up.Load() {
				up = 1
			}
			gauge(descPortLinkUp, up, b.Name, p.Name)
			if f, ok := p.Dev.(vswitch.DeviceFault); ok {
				if err := f.Fault(); err != nil {
					gauge(descPortDevError, 1, b.Name, p.Name, err.Error())
				}
			}
		}
		for id := 0; id < flowtable.NumTables; id++ {
			t := b.Flows.Table(uint8(id))
			lookups, matched := t.Counters()
			n := t.Len()
			if n == 0 && lookups == 0 {
				continue
			}
			tl := strconv.Itoa(id)
			counter(descLookups, lookups, b.Name, tl)
			counter(descMatched, matched, b.Name, tl)
			gauge(descFlows, float64(n), b.Name, tl)
		}
		for _, r := range datapath.DropReasons() {
			counter(descDrops, b.Drops(r), b.Name, r.String())
		}
		counter(descMalformed, b.Malformed.Load(), b.Name)
		gauge(descFDB, float64(len(b.FDB.Entries(now))), b.Name)
	}
}
