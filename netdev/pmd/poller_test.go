package pmd_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev/pmd"
	"github.com/gvs-project/gvs/vswitch"
)

// fakeDev is a BatchDevice in memory: inject queues a frame for Recv and
// makes its eventfd readable; what is sent is recorded.
type fakeDev struct {
	efd int

	mu     sync.Mutex
	rx     [][]byte
	sent   [][]byte
	closed bool
}

func newFake(t *testing.T) *fakeDev {
	t.Helper()
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeDev{efd: efd}
}

func (d *fakeDev) inject(f []byte) {
	d.mu.Lock()
	d.rx = append(d.rx, f)
	d.mu.Unlock()
	one := [8]byte{1}
	unix.Write(d.efd, one[:])
}

func (d *fakeDev) Recv(frames []datapath.Frame) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for n < len(frames) && len(d.rx) > 0 {
		buf := make([]byte, datapath.Headroom+len(d.rx[0]))
		copy(buf[datapath.Headroom:], d.rx[0])
		frames[n] = datapath.Frame{Buf: buf, Off: datapath.Headroom, Len: len(d.rx[0])}
		d.rx = d.rx[1:]
		n++
	}
	if len(d.rx) == 0 {
		var b [8]byte
		unix.Read(d.efd, b[:])
	}
	return n
}

func (d *fakeDev) Release([]datapath.Frame) {}

func (d *fakeDev) Send(f []byte) error {
	d.mu.Lock()
	d.sent = append(d.sent, append([]byte(nil), f...))
	d.mu.Unlock()
	return nil
}

func (d *fakeDev) SendBatch(frames []datapath.Frame) int {
	for i := range frames {
		d.Send(frames[i].Bytes())
	}
	return len(frames)
}

func (d *fakeDev) Fd() int                           { return d.efd }
func (d *fakeDev) DeviceStats() datapath.DeviceStats { return datapath.DeviceStats{} }
func (d *fakeDev) MTU() int                          { return 1500 }

func (d *fakeDev) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		unix.Close(d.efd)
	}
	return nil
}

func (d *fakeDev) sentCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sent)
}

// TestPollerForwards: ports on different threads forward through the
// datapath (after the threads slept in poll), deleting a port closes its
// device, and after Poller.Close attaching fails.
func TestPollerForwards(t *testing.T) {
	pl, err := pmd.NewPoller(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	dp := datapath.New()
	if _, err := dp.AddBridge("br0", datapath.FailStandalone); err != nil {
		t.Fatal(err)
	}
	devs := []*fakeDev{newFake(t), newFake(t)}
	for i, d := range devs {
		p, err := vswitch.NewPort(config.Port{Name: []string{"a", "b"}[i], OFPort: uint16(i + 1), Type: config.KindSystem})
		if err != nil {
			t.Fatal(err)
		}
		p.Dev = pl.Wrap(d)
		if err := dp.AddPort("br0", p, ""); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond) // past spin: the threads sleep in poll
	frame := bytes.Repeat([]byte{0}, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06})
	devs[0].inject(frame)
	deadline := time.Now().Add(2 * time.Second)
	for devs[1].sentCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("broadcast from port a never reached port b")
		}
		time.Sleep(time.Millisecond)
	}
	if err := dp.DelPort("a"); err != nil {
		t.Fatal(err)
	}
	if !devs[0].closed {
		t.Error("deleting the port did not close its device")
	}
	pl.Close()
	pl.Close() // idempotent
	late := newFake(t)
	defer late.Close()
	if err := pl.Wrap(late).Attach(dp, dp.Bridge("br0").Local); err == nil {
		t.Error("Attach after Close succeeded")
	}
	dp.DelBridge("br0")
}
