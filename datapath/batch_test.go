package datapath

import (
	"testing"
	"time"

	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
)

// batchDev is a BatchDevice that accepts at most accept frames per
// SendBatch and records the batches.
type batchDev struct {
	memDev
	accept   int
	batches  []int
	metas    []packet.Meta
	attached *Port
	mtu      int
}

func (d *batchDev) Recv([]Frame) int { return 0 }
func (d *batchDev) Release([]Frame)  {}
func (d *batchDev) Fd() int          { return -1 }
func (d *batchDev) DeviceStats() DeviceStats {
	return DeviceStats{}
}
func (d *batchDev) MTU() int { return d.mtu }
func (d *batchDev) SendBatch(frames []Frame) int {
	d.batches = append(d.batches, len(frames))
	n := min(len(frames), d.accept)
	for i := range frames[:n] {
		d.metas = append(d.metas, frames[i].Meta)
		d.Send(frames[i].Bytes())
	}
	return n
}
func (d *batchDev) Attach(_ *Datapath, p *Port) error { d.attached = p; return nil }

func frameOf(n int, src, dst byte) Frame {
	buf := make([]byte, Headroom+n)
	f := buf[Headroom:]
	f[0], f[5] = 0x02, dst
	f[6], f[11] = 0x02, src
	f[12], f[13] = 0x08, 0x00
	return Frame{Buf: buf, Off: Headroom, Len: n}
}

// TestReceiveBatch: output to a batch device goes out in one SendBatch per
// received batch; what the device refuses is counted as tx drops; frames
// over the input port's MTU are dropped and counted, not forwarded.
func TestReceiveBatch(t *testing.T) {
	dp := New()
	if _, err := dp.AddBridge("br", FailSecure); err != nil {
		t.Fatal(err)
	}
	in := &batchDev{accept: 100, mtu: 1500}
	out := &batchDev{accept: 3, mtu: 1500}
	pin := &Port{Name: "in", OFPort: 1, Dev: in}
	pout := &Port{Name: "out", OFPort: 2, Dev: out}
	for _, p := range []*Port{pin, pout} {
		if err := dp.AddPort("br", p, ""); err != nil {
			t.Fatal(err)
		}
	}
	if in.attached != pin || pin.MTU != 1500 {
		t.Fatalf("AddPort: attached %v, MTU %d", in.attached, pin.MTU)
	}
	b := dp.Bridge("br")
	f := &flowtable.Flow{Priority: 1, Actions: []flowtable.Action{flowtable.Output{Port: 2}}}
	if err := b.Flows.Apply([]*flowtable.FlowMod{{Command: flowtable.CmdAdd, Flow: f}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := dp.NewWorker()
	var batch []Frame
	for i := 0; i < 5; i++ {
		batch = append(batch, frameOf(60, 1, 2))
	}
	batch[1].Meta = packet.Meta{Mark: 7, RecircID: 3, Tunnel: packet.Tunnel{ID: 42, DstLo: 0x0a000001}}
	batch = append(batch, frameOf(1519, 1, 2)) // 1500 + 18 is the limit
	w.ReceiveBatch(pin, batch)
	if len(out.batches) != 1 || out.batches[0] != 5 {
		t.Errorf("SendBatch calls %v, want one of 5 frames", out.batches)
	}
	if len(out.metas) != 3 || out.metas[0] != (packet.Meta{}) || out.metas[1] != batch[1].Meta {
		t.Errorf("metadata sent %+v, want frame 1's Meta carried through", out.metas)
	}
	if got := pout.Stats.TxPackets.Load(); got != 3 {
		t.Errorf("tx packets %d, want 3 (what the device accepted)", got)
	}
	if got := pout.Stats.TxDropped.Load(); got != 2 {
		t.Errorf("tx dropped %d, want 2 (refused by the device)", got)
	}
	if got := pin.Stats.RxDropped.Load(); got != 1 {
		t.Errorf("rx dropped %d, want 1 (the oversize frame)", got)
	}
	if got := pin.Stats.RxPackets.Load(); got != 6 {
		t.Errorf("rx packets %d, want 6", got)
	}
	// Outside ReceiveBatch, output takes the one-frame Send path.
	w.Receive(pin, batch[0].Buf, batch[0].Off, batch[0].Len)
	if len(out.batches) != 1 || len(out.take()) != 4 {
		t.Errorf("a single Receive should Send directly")
	}
	// A frame whose bounds are wrong is dropped, not a panic.
	w.ReceiveBatch(pin, []Frame{{Buf: make([]byte, 10), Off: 8, Len: 60}})
}
