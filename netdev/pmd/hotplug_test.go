package pmd_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev/pmd"
	"github.com/gvs-project/gvs/vswitch"
)

// indexedFake is a fakeDev on the interface with that index.
type indexedFake struct {
	*fakeDev
	index int
}

func (d indexedFake) Ifindex() int { return d.index }

func (d *fakeDev) isClosed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.closed
}

// iface is a scripted kernel interface: open fails with err while err is
// set, else returns a new device on index. Every device it made is kept.
type iface struct {
	t     *testing.T
	mu    sync.Mutex
	index int
	err   error
	opens int
	devs  []*fakeDev
}

func (f *iface) set(index int, err error) {
	f.mu.Lock()
	f.index, f.err = index, err
	f.mu.Unlock()
}

func (f *iface) open() (datapath.BatchDevice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens++
	if f.err != nil {
		return nil, f.err
	}
	d := newFake(f.t)
	f.devs = append(f.devs, d)
	return indexedFake{d, f.index}, nil
}

func (f *iface) last() *fakeDev {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.devs[len(f.devs)-1]
}

// awaitSent waits up to 2 s until d has sent at least n frames.
func awaitSent(t *testing.T, d *fakeDev, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for d.sentCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d frames sent, want %d", what, d.sentCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

var errMissing = errors.New("no such device")

// TestHotplug: a port whose device cannot be opened is attached down with
// the fault; Appeared opens it (output reaches it, what it receives is
// forwarded), Gone closes it (port down, fault kept), a device that fails
// for another reason is retried only on another interface index, and
// after Close nothing opens.
func TestHotplug(t *testing.T) {
	pl, err := pmd.NewPoller(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	dp := datapath.New()
	if _, err := dp.AddBridge("br0", datapath.FailStandalone); err != nil {
		t.Fatal(err)
	}
	defer dp.DelBridge("br0")
	other := newFake(t)
	pa, _ := vswitch.NewPort(config.Port{Name: "a", OFPort: 1, Type: config.KindSystem})
	pa.Dev = pl.Wrap(other)
	if err := dp.AddPort("br0", pa, ""); err != nil {
		t.Fatal(err)
	}
	f := &iface{t: t, err: errMissing}
	h := pl.NewHotplug(f.open)
	pb, _ := vswitch.NewPort(config.Port{Name: "b", OFPort: 2, Type: config.KindSystem})
	pb.Dev = h
	if err := dp.AddPort("br0", pb, ""); err != nil {
		t.Fatal(err)
	}
	if pb.Up.Load() || !errors.Is(h.Fault(), errMissing) || h.MTU() != 0 {
		t.Fatalf("missing device: up %v fault %v mtu %d", pb.Up.Load(), h.Fault(), h.MTU())
	}
	frame := bytes.Repeat([]byte{0}, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06})

	f.set(5, nil)
	if re, err := h.Appeared(5, true); !re || err != nil {
		t.Fatalf("Appeared: reopened %v, %v", re, err)
	}
	if !pb.Up.Load() || h.Fault() != nil {
		t.Fatalf("after Appeared: up %v fault %v", pb.Up.Load(), h.Fault())
	}
	dev := f.last()
	other.inject(frame)
	awaitSent(t, dev, 1, "flood from a to the opened device")
	dev.inject(frame)
	awaitSent(t, other, 1, "frame received on the opened device")

	if re, _ := h.Appeared(5, false); re || pb.Up.Load() {
		t.Errorf("Appeared on the same index: reopened %v, up %v; want only the link state", re, pb.Up.Load())
	}
	if h.Gone(6, errMissing) || dev.isClosed() {
		t.Error("Gone of another interface took the device")
	}
	gone := errors.New("vanished")
	if !h.Gone(5, gone) || !dev.isClosed() || pb.Up.Load() || h.Fault() != gone {
		t.Fatalf("Gone: closed %v up %v fault %v", dev.isClosed(), pb.Up.Load(), h.Fault())
	}

	broken := errors.New("EBUSY")
	f.set(9, broken)
	if re, err := h.Appeared(9, true); !re || err != broken {
		t.Errorf("Appeared of a broken interface: %v %v", re, err)
	}
	opens := f.opens
	if re, _ := h.Appeared(9, true); re || f.opens != opens {
		t.Error("a broken interface is retried on a flag change")
	}
	f.set(10, nil)
	if re, err := h.Appeared(10, true); !re || err != nil {
		t.Errorf("a re-created interface is not retried: %v %v", re, err)
	}
	swapUnderLoad(t, h, f, other)

	if err := dp.DelPort("b"); err != nil {
		t.Fatal(err)
	}
	if !f.last().isClosed() {
		t.Error("del-port did not close the device")
	}
	opens = f.opens
	if re, _ := h.Appeared(11, true); re || f.opens != opens {
		t.Error("a closed Hotplug opened a device")
	}
}

// swapUnderLoad re-creates h's interface 20 times while frames flood to
// it (the race detector checks that no transmit meets a swap).
func swapUnderLoad(t *testing.T, h *pmd.Hotplug, f *iface, from *fakeDev) {
	frame := bytes.Repeat([]byte{0}, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				from.inject(frame)
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	for i := 0; i < 20; i++ {
		ix := 100 + i
		f.set(ix, nil)
		if re, err := h.Appeared(ix, true); !re || err != nil {
			t.Errorf("swap %d: %v %v", i, re, err)
		}
	}
	close(stop)
	wg.Wait()
	from.inject(frame)
	awaitSent(t, f.last(), 1, "flood after the swaps")
	for _, d := range f.devs[:len(f.devs)-1] {
		if !d.isClosed() {
			t.Error("a replaced device was not closed")
		}
	}
}
