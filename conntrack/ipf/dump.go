package ipf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gvs-project/gvs/datapath/header"
)

// DumpLists describes the lists waiting for fragments, oldest first, one
// line each as ovs-appctl dpctl/ipf-get-status -m prints them (gvs keys
// no list by recirculation id, so recirc_id reads 0).
func (r *Reassembler) DumpLists() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for ls := r.waiting.front(); ls != nil && ls != &r.waiting.head; ls = ls.next {
		out = append(out, ls.describe())
	}
	return out
}

func (ls *list) describe() string {
	k := &ls.key
	var src, dst string
	if k.EthType == header.EtherTypeIPv6 {
		src, dst = netip.AddrFrom16(k.Src).String(), netip.AddrFrom16(k.Dst).String()
	} else {
		src = netip.AddrFrom4([4]byte(k.Src[:4])).String()
		dst = netip.AddrFrom4([4]byte(k.Dst[:4])).String()
	}
	return fmt.Sprintf("(src=%s,dst=%s,recirc_id=0,ip_id=%d,dl_type=0x%x,zone=%d,nw_proto=%d,num_fragments=%d,state=%s)",
		src, dst, k.ID, k.EthType, k.Zone, k.Proto, len(ls.slots), ls.stateName())
}

// stateName is OVS's name for the list's state.
func (ls *list) stateName() string {
	switch {
	case ls.state != stateWaiting:
		return "complete"
	case ls.haveFirst && ls.haveLast:
		return "first/last frag"
	case ls.haveFirst:
		return "first frag"
	case ls.haveLast:
		return "last frag"
	}
	return "other frag"
}

// Verbose prints s and the list descriptions lists (from DumpLists) as
// ovs-appctl dpctl/ipf-get-status -m does.
func (s Status) Verbose(lists []string) string {
	var b strings.Builder
	b.WriteString(s.String())
	b.WriteString("\n        Fragment Lists:\n\n")
	for _, l := range lists {
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}
