package vswitch

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/flowtable"
)

type nullDev struct{ sent int }

func (d *nullDev) Send([]byte) error { d.sent++; return nil }
func (d *nullDev) Close() error      { return nil }

// testSwitch is a core with bridge br0 and ports p1 (1) and p2 (2).
func testSwitch(t *testing.T) *Switch {
	t.Helper()
	s := New(datapath.New(), func(string, config.Port) (datapath.Device, error) { return &nullDev{}, nil }, nil, nil)
	if err := s.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"p1", "p2"} {
		pc := config.Port{Name: name, OFPort: uint16(i + 1), Type: config.KindTap, Options: map[string]string{}}
		if _, err := s.AddPort("br0", pc, false); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// frame is a broadcast Ethernet frame from 02:00:00:00:00:01.
func frame() []byte {
	f := make([]byte, 60)
	copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
	return f
}

func next(t *testing.T, sub *Subscription) Event {
	t.Helper()
	select {
	case ev := <-sub.C:
		return ev
	case <-time.After(time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func TestPacketIn(t *testing.T) {
	s := testSwitch(t)
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"in_port=1,actions=resubmit(,3)", "table=3,cookie=0x42,in_port=1,actions=mod_dl_src:02:00:00:00:00:99,controller,note:00"}); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Bridge("br0")

	// No subscriber: dropped and counted, as without a controller.
	if err := s.PacketOut("br0", "p1", [][]byte{frame()}); err != nil {
		t.Fatal(err)
	}
	if n := b.Drops(datapath.DropController); n != 1 {
		t.Fatalf("controller drops = %d, want 1", n)
	}

	sub := s.Subscribe(4)
	defer sub.Close()
	if err := s.PacketOut("br0", "p1", [][]byte{frame()}); err != nil {
		t.Fatal(err)
	}
	ev := next(t, sub)
	if ev.Kind != EventPacketIn || ev.Bridge != "br0" || ev.InPort != 1 || ev.Reason != "action" ||
		ev.TableID != 3 || ev.Cookie != 0x42 {
		t.Fatalf("event %+v", ev)
	}
	want := frame()
	want[11] = 0x99 // the set before the output is applied
	if !bytes.Equal(ev.Frame, want) {
		t.Fatalf("frame %x, want %x", ev.Frame, want)
	}
	if n := b.Drops(datapath.DropController); n != 1 {
		t.Fatalf("controller drops = %d after a packet-in, want still 1", n)
	}

	// A full subscriber loses events, counted; forwarding goes on.
	for i := 0; i < 10; i++ {
		s.PacketOut("br0", "p1", [][]byte{frame()})
	}
	if sub.Lost() != 6 {
		t.Fatalf("lost %d, want 6", sub.Lost())
	}

	sub.Close()
	s.PacketOut("br0", "p1", [][]byte{frame()})
	if n := b.Drops(datapath.DropController); n != 2 {
		t.Fatalf("controller drops = %d after the last subscriber left, want 2", n)
	}
}

func TestPortStatus(t *testing.T) {
	s := testSwitch(t)
	sub := s.Subscribe(8)
	defer sub.Close()
	if _, err := s.AddPort("br0", config.Port{Name: "p3", Type: config.KindTap, Options: map[string]string{}}, false); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Kind != EventPortStatus || ev.Reason != "add" || ev.Port.Name != "p3" || ev.Port.OFPort != 3 {
		t.Fatalf("event %+v", ev)
	}
	tag := uint16(7)
	if err := s.SetPort("p3", PortChange{Tag: &tag}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Reason != "modify" || ev.Port.Tag == nil || *ev.Port.Tag != 7 {
		t.Fatalf("event %+v", ev)
	}
	if err := s.DelPort("", "p3", false); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, sub); ev.Reason != "delete" || ev.Port.Name != "p3" || ev.Bridge != "br0" {
		t.Fatalf("event %+v", ev)
	}
}

func TestFlowRemoved(t *testing.T) {
	s := testSwitch(t)
	sub := s.Subscribe(8)
	defer sub.Close()
	flows := []string{
		"priority=2,in_port=1,hard_timeout=5,send_flow_rem,actions=drop",
		"priority=3,in_port=2,idle_timeout=5,send_flow_rem,actions=drop",
		"priority=4,in_port=2,idle_timeout=5,actions=drop", // no send_flow_rem: no event
	}
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, flows); err != nil {
		t.Fatal(err)
	}
	if n := s.ExpireFlows(time.Now().Add(10 * time.Second)); n != 3 {
		t.Fatalf("expired %d flows, want 3", n)
	}
	got := map[uint16]string{}
	for i := 0; i < 2; i++ {
		ev := next(t, sub)
		if ev.Kind != EventFlowRemoved || ev.Bridge != "br0" {
			t.Fatalf("event %+v", ev)
		}
		got[ev.Flow.Priority] = ev.Reason
	}
	if got[2] != "hard_timeout" || got[3] != "idle_timeout" {
		t.Fatalf("reasons %v", got)
	}
	select {
	case ev := <-sub.C:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

func TestErrorKinds(t *testing.T) {
	s := testSwitch(t)
	for _, c := range []struct {
		err  error
		kind error
	}{
		{s.AddBridge("br0", "", false), ErrExists},
		{s.AddBridge("br1", "bogus", false), ErrInvalid},
		{s.DelBridge("nope", false), ErrNotFound},
		{s.DelPort("", "nope", false), ErrNotFound},
		{s.SetPort("nope", PortChange{}), ErrNotFound},
		{s.PacketOut("br0", "nope", nil), ErrNotFound},
	} {
		if !errors.Is(c.err, c.kind) {
			t.Errorf("%v: not %v", c.err, c.kind)
		}
	}
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, []string{"actions=bogus"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad flow: %v", err)
	}
}

// TestPacketInReasonMaxLen: the controller action's reason and max_len
// reach the event; the frame is whole, as in Open vSwitch (no buffering).
func TestPacketInReasonMaxLen(t *testing.T) {
	s := testSwitch(t)
	flows := []string{
		"in_port=1,actions=controller(reason=no_match,max_len=20)",
		"in_port=2,actions=output:CONTROLLER",
	}
	if _, err := s.ModFlows("br0", flowtable.CmdAdd, flows); err != nil {
		t.Fatal(err)
	}
	sub := s.Subscribe(4)
	defer sub.Close()
	for _, c := range []struct {
		port   string
		reason string
		maxLen uint16
	}{{"p1", "no_match", 20}, {"p2", "action", 65535}} {
		if err := s.PacketOut("br0", c.port, [][]byte{frame()}); err != nil {
			t.Fatal(err)
		}
		ev := next(t, sub)
		if ev.Reason != c.reason || ev.MaxLen != c.maxLen || len(ev.Frame) != len(frame()) {
			t.Errorf("%s: reason %q max_len %d frame %d bytes, want %q %d %d", c.port, ev.Reason, ev.MaxLen, len(ev.Frame), c.reason, c.maxLen, len(frame()))
		}
	}
}
