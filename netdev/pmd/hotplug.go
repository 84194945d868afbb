package pmd

import (
	"errors"
	"sync"

	"github.com/gvs-project/gvs/datapath"
)

// Hotplug is the device of a port whose kernel interface may be missing,
// or may vanish and come back (gvsd's system and afxdp ports). It is the
// port's Dev for the port's whole life; inside it the interface's device,
// polled by the Poller, is opened, replaced and closed as the interface
// comes and goes (Appeared, Gone). While it has none the port is down
// (Port.Up false), output to it is dropped, and Fault says why.
//
// Hotplug implements datapath.BatchDevice so that output to it is batched
// as to any polled device, but it is never polled itself: Recv returns
// nothing and Fd is -1; its inner device is what a PMD polls.
type Hotplug struct {
	pl   *Poller
	open func() (datapath.BatchDevice, error)
	mtu  int // of the device opened at construction; 0 if there was none

	txMu sync.RWMutex // read-held while cur transmits, write-held to change it
	cur  *Polled

	mu     sync.Mutex // serialises everything but transmit; guards below
	dp     *datapath.Datapath
	port   *datapath.Port
	index  int   // interface index of cur's device; 0 without one
	tried  int   // interface index the last failed open was on; 0 unknown
	fault  error // why there is no device; nil with one
	closed bool
}

// indexed is implemented by devices that know their interface's index.
type indexed interface{ Ifindex() int }

// NewHotplug opens a device with open (the same function opens it again
// when its interface reappears); if that fails, the Hotplug starts without
// one and the error is its fault.
func (pl *Poller) NewHotplug(open func() (datapath.BatchDevice, error)) *Hotplug {
	h := &Hotplug{pl: pl, open: open}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reopen(0)
	if h.cur != nil {
		h.mtu = h.cur.MTU()
	}
	return h
}

// Attach implements datapath.Attacher: the device, if there is one, starts
// being polled; without one the port goes down.
func (h *Hotplug) Attach(dp *datapath.Datapath, p *datapath.Port) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("device is closed")
	}
	if h.port != nil {
		return errors.New("device is already attached")
	}
	h.dp, h.port = dp, p
	if h.cur == nil {
		p.Up.Store(false)
		return nil
	}
	return h.cur.Attach(dp, p)
}

// Appeared tells h that an interface of its name exists with that index
// (new, re-created or changed) and whether its link is running. If h's
// device is on that interface, only the port's link state is updated.
// Otherwise h drops the device it has (its interface is gone) and opens
// the interface again, unless its last failed open was on this very
// interface (a device that cannot be opened is retried when it is
// re-created, not on every flag change). reopened reports whether h
// tried; err is why that failed (then also the fault).
func (h *Hotplug) Appeared(index int, running bool) (reopened bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false, nil
	}
	if h.cur != nil && h.index == index {
		if h.port != nil {
			h.port.Up.Store(running)
		}
		return false, nil
	}
	if h.cur == nil && h.tried != 0 && h.tried == index {
		return false, nil
	}
	h.drop()
	h.reopen(index)
	return true, h.fault
}

// Gone tells h that the interface with that index was deleted, moved to
// another namespace or renamed. If it is h's, h closes its device, the
// port goes down and fault becomes h's fault; Gone reports whether it was.
func (h *Hotplug) Gone(index int, fault error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.cur == nil || h.index != index {
		return false
	}
	h.drop()
	h.fault = fault
	return true
}

// reopen opens the device and, if h is attached, starts polling it and
// sets the port's link state; index is the interface's index if known.
// Callers hold h.mu and have dropped the previous device.
func (h *Hotplug) reopen(index int) {
	dev, err := h.open()
	if err != nil {
		h.fault, h.tried = err, index
		return
	}
	pp := h.pl.Wrap(dev)
	if h.port != nil {
		if err := pp.Attach(h.dp, h.port); err != nil {
			dev.Close()
			h.fault, h.tried = err, index
			return
		}
	}
	h.index = index
	if ix, ok := dev.(indexed); ok {
		h.index = ix.Ifindex()
	}
	h.txMu.Lock()
	h.cur = pp
	h.txMu.Unlock()
	h.fault, h.tried = nil, 0
	if h.port != nil {
		up := true
		if lw, ok := dev.(linkWatcher); ok {
			if u, known := lw.LinkUp(); known {
				up = u
			}
		}
		h.port.Up.Store(up)
	}
}

// drop takes the device out of service and closes it; the port goes down.
// Callers hold h.mu.
func (h *Hotplug) drop() {
	h.txMu.Lock()
	old := h.cur
	h.cur = nil
	h.txMu.Unlock()
	// No transmit uses old any more; Close stops polling it before it
	// closes it, so the PMD cannot mark the port up again.
	if old != nil {
		old.Close()
	}
	if h.port != nil {
		h.port.Up.Store(false)
	}
	h.index = 0
}

// Index is the interface index of h's device, 0 without one.
func (h *Hotplug) Index() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.index
}

// Fault is why h has no device (nil while it has one).
func (h *Hotplug) Fault() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fault
}

// Close implements datapath.Device: the device, if any, stops being polled
// and is closed; h opens nothing after it.
func (h *Hotplug) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	h.drop()
	return nil
}

// Send implements datapath.Device; without a device it drops the frame.
func (h *Hotplug) Send(frame []byte) error {
	h.txMu.RLock()
	defer h.txMu.RUnlock()
	if h.cur == nil {
		return errNoDevice
	}
	return h.cur.Send(frame)
}

// SendBatch implements datapath.BatchDevice; without a device it accepts
// nothing.
func (h *Hotplug) SendBatch(frames []datapath.Frame) int {
	h.txMu.RLock()
	defer h.txMu.RUnlock()
	if h.cur == nil {
		return 0
	}
	return h.cur.SendBatch(frames)
}

var errNoDevice = errors.New("port has no device")

// Recv implements datapath.BatchDevice: a Hotplug is not polled itself.
func (h *Hotplug) Recv([]datapath.Frame) int { return 0 }

// Release implements datapath.BatchDevice.
func (h *Hotplug) Release([]datapath.Frame) {}

// Fd implements datapath.BatchDevice: none, see Recv.
func (h *Hotplug) Fd() int { return -1 }

// MTU implements datapath.BatchDevice: the MTU of the device h was created
// with, 0 (no limit) if it had none. A device opened later keeps it.
func (h *Hotplug) MTU() int { return h.mtu }

// DeviceStats implements datapath.BatchDevice: the current device's.
func (h *Hotplug) DeviceStats() datapath.DeviceStats {
	h.txMu.RLock()
	defer h.txMu.RUnlock()
	if h.cur == nil {
		return datapath.DeviceStats{}
	}
	return h.cur.DeviceStats()
}

// Unwrap returns the device h currently has, nil if none.
func (h *Hotplug) Unwrap() datapath.BatchDevice {
	h.txMu.RLock()
	defer h.txMu.RUnlock()
	if h.cur == nil {
		return nil
	}
	return h.cur.Unwrap()
}
