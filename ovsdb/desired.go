package ovsdb

import (
	"fmt"
	"maps"
	"sort"
)

// rows is one snapshot of the monitored tables.
type rows struct {
	root    *OpenVSwitch
	bridges []Bridge
	ports   map[string]*Port      // by UUID
	ifaces  map[string]*Interface // by UUID
}

// desired is the bridges and ports the rows describe, sorted by name. A
// port whose rows cannot be built carries its error (reported on each of
// its interfaces); the bridge's own internal interface is its LOCAL port.
func desired(r rows) []wantBridge {
	var out []wantBridge
	for _, b := range r.bridges {
		wb := wantBridge{Name: b.Name, ExternalIDs: nonEmpty(b.ExternalIDs), OtherConfig: nonEmpty(b.OtherConfig)}
		if b.FailMode != nil {
			wb.FailMode = *b.FailMode
		}
		for _, pu := range b.Ports {
			p := r.ports[pu]
			if p == nil {
				continue // not yet in the snapshot
			}
			wb.Ports = append(wb.Ports, portWants(b.Name, p, r.ifaces)...)
		}
		sort.Slice(wb.Ports, func(i, j int) bool { return wb.Ports[i].Config.Name < wb.Ports[j].Config.Name })
		out = append(out, wb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// portWants converts one Port row of bridge and its interfaces.
func portWants(bridge string, p *Port, ifaces map[string]*Interface) []wantPort {
	var list []*Interface
	for _, iu := range p.Interfaces {
		if i := ifaces[iu]; i != nil {
			list = append(list, i)
		}
	}
	if len(list) > 1 {
		var out []wantPort
		for _, i := range list {
			out = append(out, wantPort{IfaceUUID: i.UUID, Config: configName(i.Name), Err: fmt.Errorf("port %s: bonds (%d interfaces) are not supported", p.Name, len(list))})
		}
		return out
	}
	if len(list) == 0 {
		return nil
	}
	i := list[0]
	mtu := 0
	if i.MTURequest != nil && *i.MTURequest > 0 {
		mtu = *i.MTURequest
	}
	if p.Name == bridge && i.Name == bridge && i.Type == "internal" {
		return []wantPort{{IfaceUUID: i.UUID, Config: configName(i.Name), Local: true, MTU: mtu}}
	}
	pc, err := portConfig(p, i)
	return []wantPort{{IfaceUUID: i.UUID, Config: pc, Err: err, MTU: mtu}}
}

// nonEmpty is m, or nil if it is empty (libovsdb gives empty maps).
func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
