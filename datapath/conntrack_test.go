package datapath

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// FuzzFirewall feeds arbitrary frames (seeded with the d-firewall case's)
// through Neutron's firewall pipeline with a connection tracker: nothing
// may panic, and the tracker's table stays bounded.
func FuzzFirewall(f *testing.F) {
	dir := filepath.Join("..", "testdata", "replay", "d-firewall")
	for i, port := range []string{"qvo-vm", "eth1"} {
		fs, err := ReadPcap(filepath.Join(dir, port+"-in.pcap"))
		if err != nil {
			f.Fatal(err)
		}
		for _, fr := range fs {
			f.Add(fr.Data, uint8(i), uint8(0))
		}
	}
	s := newSwitch(f)
	ct := conntrack.New(conntrack.Config{MaxEntries: 64})
	s.dp.Conntrack = ct
	s.bridge("br-int", FailSecure)
	s.port("br-int", "wire:1")
	s.port("br-int", "vm1:5,tag=1")
	s.port("br-int", "qr1:6,tag=1")
	if err := s.dp.LoadFlowFile("br-int", filepath.Join("..", "testdata", "flows", "D-master-br-int-ovsfw.flows")); err != nil {
		f.Fatal(err)
	}
	ports := []string{"vm1", "wire", "qr1"}
	now := int64(0)
	s.w.Now = func() int64 { return now }
	f.Fuzz(func(t *testing.T, data []byte, which, dt uint8) {
		now += int64(dt) * 1e9
		s.w.Inject(s.dp.PortByName(ports[int(which)%len(ports)]), data)
		s.got()
		if ct.Len() > 64 {
			t.Fatalf("%d conntrack entries over the limit", ct.Len())
		}
	})
}

// TestTraceFollowsCT: a trace (no side effects) continues through ct(table=N)
// with ct_state=+new+trk, as ofproto/trace does without --ct-next, and
// commits nothing.
func TestTraceFollowsCT(t *testing.T) {
	s := newSwitch(t)
	ct := conntrack.New(conntrack.Config{})
	s.dp.Conntrack = ct
	s.bridge("br-int", FailSecure)
	s.port("br-int", "wire:1")
	s.port("br-int", "vm1:5,tag=1")
	if err := s.dp.LoadFlowFile("br-int", filepath.Join("..", "testdata", "flows", "D-master-br-int-ovsfw.flows")); err != nil {
		t.Fatal(err)
	}
	fs, err := ReadPcap(filepath.Join("..", "testdata", "replay", "d-firewall", "qvo-vm-in.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	out := s.w.TraceFrame(s.dp.PortByName("vm1"), fs[1].Data) // the VM's SYN
	for _, want := range []string{"resuming with default ct_state=+new+trk zone=1", "72. ct_state=+new-est,ip,reg5=0x5, priority 74", "ct(commit,zone=NXM_NX_REG6[0..15])", "NORMAL"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if ct.Len() != 0 {
		t.Fatalf("a trace committed %d connections", ct.Len())
	}
}

// TestCTRequest: the adapter reads zone=FIELD[...] from the key, composes
// exec(set_field:...) into one masked mark and label, and passes the state
// an earlier ct() left in the key.
func TestCTRequest(t *testing.T) {
	var k flowtable.Key
	k.Set(flowtable.FieldByID(flowtable.FieldReg0+6), flowtable.Value{Lo: 0xabcd0009})
	k.Set(fCTState, u64(packet.CTTrk|packet.CTNew))
	k.Set(fCTZone, u64(9))
	a := &flowtable.CT{Commit: true, Force: true, Table: flowtable.TableCurrent,
		ZoneSrc: flowtable.Subfield{Field: flowtable.FieldReg0 + 6, Ofs: 0, Bits: 16},
		Exec: []flowtable.Action{
			flowtable.SetField{Field: flowtable.FieldCTMark, Value: flowtable.Value{Lo: 0x12}, Mask: flowtable.Value{Lo: 0xff}},
			flowtable.SetField{Field: flowtable.FieldCTMark, Value: flowtable.Value{Lo: 0x300}, Mask: flowtable.Value{Lo: 0xf0f}},
			flowtable.SetField{Field: flowtable.FieldCTLabel, Value: flowtable.Value{Hi: 1, Lo: 0xf0}, Mask: flowtable.Value{Hi: ^uint64(0), Lo: 0xff}},
		}}
	var req packet.CTRequest
	ctRequest(&req, a, &k)
	want := packet.CTRequest{Zone: 9, Commit: true, Force: true, Mark: 0x310, MarkMask: 0xfff,
		Label: packet.Label{Hi: 1, Lo: 0xf0}, LabelMask: packet.Label{Hi: ^uint64(0), Lo: 0xff},
		Prev: packet.CT{State: packet.CTTrk | packet.CTNew, Zone: 9}}
	if req != want {
		t.Fatalf("request %+v, want %+v", req, want)
	}
	setCTKey(&k, packet.CT{State: packet.CTTrk | packet.CTEst, Zone: 3, Mark: 7, Label: packet.Label{Hi: 2, Lo: 1}})
	if k.Get(fCTState).Lo != packet.CTTrk|packet.CTEst || k.Get(fCTZone).Lo != 3 || k.Get(fCTMark).Lo != 7 ||
		k.Get(fCTLabel) != (flowtable.Value{Hi: 2, Lo: 1}) {
		t.Fatalf("key after setCTKey: %v", k)
	}
}
