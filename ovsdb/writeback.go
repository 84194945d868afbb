package ovsdb

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/vswitch"
)

var ovsdbCheck = ovsdb.CheckOperationResults

// ifaceState is what is written back to one Interface row.
type ifaceState struct {
	OFPort     int
	Error      string
	AdminState string
	LinkState  string
	MAC        string
	MTU        int
	IfIndex    int
	Stats      map[string]int
}

// hostLink is the host interface of a port, if it has one.
type hostLink struct {
	ifindex int
	mac     string
	mtu     int
}

// lookupLink finds a host interface by name; a variable for tests.
var lookupLink = lookupHost

// lookupHost finds a host interface by name.
func lookupHost(name string) (hostLink, bool) {
	ni, err := net.InterfaceByName(name)
	if err != nil {
		return hostLink{}, false
	}
	return hostLink{ifindex: ni.Index, mac: ni.HardwareAddr.String(), mtu: ni.MTU}, true
}

// stableMAC is a locally administered MAC derived from name, for ports
// without a host interface (as Open vSwitch's dummy interfaces have one).
func stableMAC(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	s := h.Sum32()
	return net.HardwareAddr{0xaa, 0x55, byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}.String()
}

// ifaceStateOf is the state of an interface: res from the reconciler,
// info and stats from the core (ok: the core has the port).
func ifaceStateOf(i *Interface, res result, info vswitch.PortInfo, ok bool, st *vswitch.PortStats) ifaceState {
	s := ifaceState{OFPort: res.OFPort, Error: res.Err, AdminState: "down", LinkState: "down", MTU: 1500}
	if i.MTURequest != nil && *i.MTURequest > 0 {
		s.MTU = *i.MTURequest
	}
	if s.Error == "" && !res.Local && ok {
		s.Error = info.Error
	}
	up := res.Local || (ok && info.LinkUp)
	if res.Err == "" && (res.Local || ok) {
		s.AdminState = "up"
		if up {
			s.LinkState = "up"
		}
	}
	s.MAC = stableMAC(i.Name)
	if res.Err == "" && (res.Local || (ok && info.Kind != config.KindPcap && info.Kind != config.KindPatch)) {
		if l, found := lookupLink(i.Name); found {
			s.IfIndex, s.MAC, s.MTU = l.ifindex, l.mac, l.mtu
		}
	}
	if st != nil {
		s.Stats = map[string]int{
			"rx_packets": int(st.RxPackets), "rx_bytes": int(st.RxBytes), "rx_dropped": int(st.RxDropped),
			"tx_packets": int(st.TxPackets), "tx_bytes": int(st.TxBytes), "tx_dropped": int(st.TxDropped),
			"rx_errors": 0, "tx_errors": 0,
		}
	}
	if res.Err != "" {
		s.MAC, s.MTU = "", 0
	}
	return s
}

// datapathID is a bridge's datapath_id: other_config:datapath-id if it
// is 16 hex digits, else derived from other_config:hwaddr or, failing
// that, from the bridge's name, as Open vSwitch derives it from the
// bridge's MAC.
func datapathID(b *Bridge) string {
	if id := strings.ToLower(b.OtherConfig["datapath-id"]); len(id) == 16 {
		if _, err := hex.DecodeString(id); err == nil {
			return id
		}
	}
	mac, err := net.ParseMAC(b.OtherConfig["hwaddr"])
	if err != nil || len(mac) != 6 {
		mac, _ = net.ParseMAC(stableMAC(b.Name))
	}
	return "0000" + hex.EncodeToString(mac)
}

// writeBack builds the operations that bring the rows' state columns to
// what the core has, and cur_cfg to next_cfg; nothing for columns that
// already hold it.
func (s *session) writeBack(r rows, res map[string]result) ([]ovsdb.Operation, error) {
	var ops []ovsdb.Operation
	add := func(o []ovsdb.Operation, err error) error {
		ops = append(ops, o...)
		return err
	}
	infos := map[string]vswitch.PortInfo{}
	for _, b := range s.core.Bridges() {
		for _, p := range b.Ports {
			infos[p.Name] = p
		}
	}
	stats := map[string]vswitch.PortStats{}
	for _, b := range r.bridges {
		list, _ := s.core.PortStats(b.Name, "")
		for _, st := range list {
			name := st.Name
			if st.Local {
				name = b.Name
			}
			stats[name] = st
		}
		if id := datapathID(&b); b.DatapathID == nil || *b.DatapathID != id {
			row := Bridge{UUID: b.UUID, DatapathID: &id}
			if err := add(s.c.Where(&row).Update(&row, &row.DatapathID)); err != nil {
				return nil, fmt.Errorf("bridge %s datapath_id: %w", b.Name, err)
			}
		}
	}
	for _, u := range slices.Sorted(maps.Keys(res)) {
		i := r.ifaces[u]
		if i == nil {
			continue
		}
		rr := res[u]
		info, ok := infos[i.Name]
		var st *vswitch.PortStats
		if x, found := stats[i.Name]; found && rr.Err == "" {
			st = &x
		}
		want := ifaceStateOf(i, rr, info, ok, st)
		row, fields := ifaceUpdate(i, want)
		if len(fields) == 0 {
			continue
		}
		if err := add(s.c.Where(row).Update(row, fields...)); err != nil {
			return nil, fmt.Errorf("interface %s: %w", i.Name, err)
		}
	}
	root := *r.root
	row := OpenVSwitch{UUID: root.UUID, CurCfg: root.NextCfg, OVSVersion: &s.o.Version, DatapathTypes: datapathTypes, IfaceTypes: ifaceTypes}
	var fields []any
	if root.CurCfg != root.NextCfg {
		fields = append(fields, &row.CurCfg)
	}
	if root.OVSVersion == nil || *root.OVSVersion != s.o.Version {
		fields = append(fields, &row.OVSVersion)
	}
	if !slices.Equal(root.DatapathTypes, datapathTypes) {
		fields = append(fields, &row.DatapathTypes)
	}
	if !slices.Equal(root.IfaceTypes, ifaceTypes) {
		fields = append(fields, &row.IfaceTypes)
	}
	if len(fields) > 0 {
		if err := add(s.c.Where(&row).Update(&row, fields...)); err != nil {
			return nil, fmt.Errorf("Open_vSwitch: %w", err)
		}
	}
	return ops, nil
}

// ifaceUpdate is the row and the fields to update so that i holds want;
// no fields if it does.
func ifaceUpdate(i *Interface, want ifaceState) (*Interface, []any) {
	row := &Interface{UUID: i.UUID}
	var fields []any
	setInt := func(dst **int, cur *int, v int, none bool) {
		if none {
			if cur != nil {
				fields = append(fields, dst)
			}
			return
		}
		if cur == nil || *cur != v {
			*dst = &v
			fields = append(fields, dst)
		}
	}
	setStr := func(dst **string, cur *string, v string) {
		if v == "" {
			if cur != nil {
				fields = append(fields, dst)
			}
			return
		}
		if cur == nil || *cur != v {
			*dst = &v
			fields = append(fields, dst)
		}
	}
	setInt(&row.OFPort, i.OFPort, want.OFPort, false)
	setInt(&row.MTU, i.MTU, want.MTU, want.MTU == 0)
	setInt(&row.IfIndex, i.IfIndex, want.IfIndex, false)
	setStr(&row.Error, i.Error, want.Error)
	setStr(&row.AdminState, i.AdminState, want.AdminState)
	setStr(&row.LinkState, i.LinkState, want.LinkState)
	setStr(&row.MACInUse, i.MACInUse, want.MAC)
	if want.Stats != nil && !maps.Equal(i.Statistics, want.Stats) {
		row.Statistics = want.Stats
		fields = append(fields, &row.Statistics)
	}
	return row, fields
}
