package vswitch

import (
	"strconv"
	"time"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/fdb"
	"github.com/gvs-project/gvs/flowtable"
)

// PortStats is a port's counters (ovs-ofctl dump-ports).
type PortStats struct {
	Name                          string
	OFPort                        uint16
	Local                         bool // the bridge's LOCAL port
	RxPackets, RxBytes, RxDropped uint64
	TxPackets, TxBytes, TxDropped uint64
	LinkUp                        bool   // the port forwards (its device is open, its link running)
	Error                         string // why its device cannot be used, "" if it can
}

// PortStats returns the counters of one port of a bridge (name, LOCAL or
// number), or of all its ports if port is "".
func (s *Switch) PortStats(bridge, port string) ([]PortStats, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return nil, err
	}
	ports := b.Ports()
	if port != "" {
		p, err := PortRef(b, port)
		if err != nil {
			return nil, err
		}
		ports = []*datapath.Port{p}
	}
	out := make([]PortStats, 0, len(ports))
	for _, p := range ports {
		st := &p.Stats
		out = append(out, PortStats{Name: p.Name, OFPort: uint16(p.OFPort), Local: p == b.Local,
			RxPackets: st.RxPackets.Load(), RxBytes: st.RxBytes.Load(), RxDropped: st.RxDropped.Load(),
			TxPackets: st.TxPackets.Load(), TxBytes: st.TxBytes.Load(), TxDropped: st.TxDropped.Load(),
			LinkUp: p.Up.Load(), Error: portFault(p)})
	}
	return out, nil
}

// BridgeDrops is a bridge's drop counters by reason, and how many frames
// it could not parse.
type BridgeDrops struct {
	Bridge    string
	Reasons   map[string]uint64
	Malformed uint64
}

// Drops returns the drop counters of one bridge, or of all if bridge is
// "" (an unknown bridge: none).
func (s *Switch) Drops(bridge string) []BridgeDrops {
	var out []BridgeDrops
	for _, b := range s.dp.Bridges() {
		if bridge != "" && b.Name != bridge {
			continue
		}
		bd := BridgeDrops{Bridge: b.Name, Reasons: map[string]uint64{}, Malformed: b.Malformed.Load()}
		for _, r := range datapath.DropReasons() {
			bd.Reasons[r.String()] = b.Drops(r)
		}
		out = append(out, bd)
	}
	return out
}

// FDB returns a bridge's live MAC table entries, oldest first (ovs-appctl
// fdb/show), and the name of each entry's port (LOCAL, or its number if
// it has none).
func (s *Switch) FDB(bridge string) ([]fdb.Entry, []string, error) {
	b, err := s.Bridge(bridge)
	if err != nil {
		return nil, nil, err
	}
	entries := b.FDB.Entries(time.Now().UnixNano())
	names := make([]string, len(entries))
	for i, e := range entries {
		switch n, ok := b.PortName(flowtable.Port(e.Port)); {
		case ok:
			names[i] = n
		case flowtable.Port(e.Port) == flowtable.PortLocal:
			names[i] = "LOCAL"
		default:
			names[i] = strconv.Itoa(int(e.Port))
		}
	}
	return entries, names, nil
}
