package ctl

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/vswitch"
)

func udpFrame(t *testing.T, sport uint16) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
	u.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}, ip, u)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConntrackService(t *testing.T) {
	dp := datapath.New()
	s := &conntrackService{sw: vswitch.New(dp, nil, nil, nil)}
	if _, err := s.DumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{}); err == nil {
		t.Fatal("dump without a tracker: want an error")
	}
	ct := vswitch.NewConntrack(config.Conntrack{})
	dp.Conntrack = ct
	for i, zone := range []uint16{1, 1, 2} {
		var p packet.Packet
		f := udpFrame(t, uint16(1000+i))
		p.Reset(f, 0, len(f))
		ct.Execute(&p, &conntrack.Request{Commit: true, Zone: zone}, 1)
	}
	z1 := uint32(1)
	r, err := s.DumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{Zone: &z1})
	if err != nil {
		t.Fatal(err)
	}
	want := "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=1000),zone=1\n" +
		"udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1001,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=1001),zone=1\n"
	if r.Text != want || len(r.Entries) != 2 || r.Entries[0].Proto != "udp" || r.Entries[0].Orig.SrcPort != 1000 {
		t.Fatalf("dump zone=1:\n%s%v", r.Text, r.Entries)
	}
	big := uint32(70000)
	if _, err := s.DumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{Zone: &big}); err == nil {
		t.Fatal("zone 70000 accepted")
	}
	f, err := s.FlushConntrack(context.Background(), &ctlpb.FlushConntrackRequest{Zone: &z1})
	if err != nil || f.Deleted != 2 {
		t.Fatalf("flush zone=1: %v %v", f, err)
	}
	r, _ = s.DumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{})
	if strings.Count(r.Text, "\n") != 1 || !strings.Contains(r.Text, "zone=2") {
		t.Fatalf("after flush of zone 1:\n%s", r.Text)
	}
}

func TestConntrackCollector(t *testing.T) {
	dp := datapath.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewConntrackCollector(dp))
	if mfs, err := reg.Gather(); err != nil || len(mfs) != 0 {
		t.Fatalf("without a tracker: %v %v", mfs, err)
	}
	ct := vswitch.NewConntrack(config.Conntrack{})
	dp.Conntrack = ct
	var p packet.Packet
	f := udpFrame(t, 1)
	p.Reset(f, 0, len(f))
	ct.Execute(&p, &conntrack.Request{Commit: true, Zone: 4}, 1)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			l := ""
			for _, lp := range m.GetLabel() {
				l += lp.GetName() + "=" + lp.GetValue()
			}
			got[mf.GetName()+"{"+l+"}"] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	for name, v := range map[string]string{"gvs_conntrack_entries{zone=4}": "1", "gvs_conntrack_new_total{}": "1", "gvs_conntrack_invalid_total{}": "0"} {
		if got[name] != v {
			t.Errorf("%s = %q, want %s (all: %v)", name, got[name], v, got)
		}
	}
}
