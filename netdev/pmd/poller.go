package pmd

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gvs-project/gvs/datapath"
)

// rxBatch is how many frames one Recv asks a port for.
const rxBatch = 64

// Poller is a fixed set of polling threads (PMDs). Each is a goroutine
// locked to its OS thread that owns the receive side of its ports and one
// datapath.Worker per datapath: it receives a batch from every port, runs
// it to completion (output is grouped per port, one SendBatch per batch),
// and when nothing moved for spin it sleeps in poll(2) on all its ports'
// descriptors, so a 2-core machine keeps a core for the kernel work that
// feeds it.
//
// Output to a port owned by another PMD calls that device's Send or
// SendBatch directly: the devices it polls must be safe for concurrent
// transmit (netdev's are: the kernel serialises socket and tap writes,
// AF_XDP takes a per-port lock per batch), so there is no lock per packet
// and no cross-thread ring on the packet path.
type Poller struct {
	threads []*thread
	// spin is how long a PMD keeps polling its rings after the last frame
	// before it sleeps in poll(2).
	spin time.Duration

	mu     sync.Mutex
	closed bool
}

type thread struct {
	pl      *Poller
	ctl     chan func()
	wakeFd  int       // eventfd: control requests pending
	ports   []*Polled // owned by the PMD goroutine
	nports  int       // len(ports) as the Poller sees it; guarded by Poller.mu
	workers map[*datapath.Datapath]*datapath.Worker
	frames  []datapath.Frame
	pfds    []unix.PollFd
	drain   [8]byte // eventfd counter read by sleep
	done    chan struct{}
}

// NewPoller starts n polling threads (n <= 0: one per two CPUs, at least
// one). spin <= 0 selects the default of 50µs.
func NewPoller(n int, spin time.Duration) (*Poller, error) {
	if n <= 0 {
		n = max(1, runtime.NumCPU()/2)
	}
	if spin <= 0 {
		spin = 50 * time.Microsecond
	}
	pl := &Poller{spin: spin}
	for i := 0; i < n; i++ {
		efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
		if err != nil {
			pl.Close()
			return nil, err
		}
		m := &thread{pl: pl, ctl: make(chan func(), 16), wakeFd: efd, workers: map[*datapath.Datapath]*datapath.Worker{},
			frames: make([]datapath.Frame, rxBatch), done: make(chan struct{})}
		pl.threads = append(pl.threads, m)
		go m.run()
	}
	return pl, nil
}

// Close stops the polling threads. Ports still attached stop receiving.
func (pl *Poller) Close() {
	pl.mu.Lock()
	if pl.closed {
		pl.mu.Unlock()
		return
	}
	pl.closed = true
	pl.mu.Unlock()
	for _, m := range pl.threads {
		m.do(nil)
		<-m.done
		unix.Close(m.wakeFd)
	}
}

// do runs f on the PMD between two batches and waits for it; f == nil
// stops the PMD.
func (m *thread) do(f func()) {
	ack := make(chan struct{})
	m.ctl <- func() {
		if f != nil {
			f()
		}
		close(ack)
	}
	if f == nil {
		m.ctl <- nil
	}
	var one = [8]byte{1}
	unix.Write(m.wakeFd, one[:])
	<-ack
}

// linkWatcher is implemented by devices that can report their link state.
type linkWatcher interface {
	LinkUp() (up, ok bool)
}

// linkCheck is how often a PMD refreshes its ports' link state (Port.Up:
// output to a port whose link is down is dropped as port down).
const linkCheck = time.Second

// checkLinks refreshes link state and folds what the device dropped
// before gvs saw it (ring overruns, oversize or truncated frames) into the
// port's rx drop counter, as dump-ports reports it.
func (m *thread) checkLinks() {
	for _, pp := range m.ports {
		if pp.dead {
			continue
		}
		if lw, ok := pp.BatchDevice.(linkWatcher); ok {
			if up, known := lw.LinkUp(); known {
				pp.port.Up.Store(up)
			}
		}
		st := pp.BatchDevice.DeviceStats()
		if d := st.RxDropped + st.RxOversize; d > pp.devDrops {
			pp.port.Stats.RxDropped.Add(d - pp.devDrops)
			pp.devDrops = d
		}
	}
}

func (m *thread) run() {
	runtime.LockOSThread()
	defer close(m.done)
	last := time.Now()
	lastLink := last
	for {
		select {
		case f := <-m.ctl:
			if f == nil {
				return
			}
			f()
			continue
		default:
		}
		if m.receive() > 0 {
			last = time.Now()
			if last.Sub(lastLink) > linkCheck {
				m.checkLinks()
				lastLink = last
			}
			continue
		}
		if time.Since(last) < m.pl.spin {
			continue
		}
		if time.Since(lastLink) > linkCheck {
			m.checkLinks()
			lastLink = time.Now()
		}
		m.sleep()
		last = time.Now()
	}
}

// receive takes one batch from each live port, runs it to completion and
// releases it; it returns how many frames moved.
func (m *thread) receive() int {
	moved := 0
	for _, pp := range m.ports {
		if pp.dead {
			continue
		}
		n := pp.BatchDevice.Recv(m.frames)
		if n > 0 {
			pp.w.ReceiveBatch(pp.port, m.frames[:n])
			pp.BatchDevice.Release(m.frames[:n])
			moved += n
		}
	}
	return moved
}

// sleep waits in poll(2) (at most 500ms) until a port or the control
// eventfd is readable, then clears socket errors and stops polling ports
// whose device is gone.
func (m *thread) sleep() {
	m.pfds = m.pfds[:0]
	m.pfds = append(m.pfds, unix.PollFd{Fd: int32(m.wakeFd), Events: unix.POLLIN})
	for _, pp := range m.ports {
		fd := int32(pp.BatchDevice.Fd())
		if pp.dead {
			fd = -1 // poll ignores it
		}
		m.pfds = append(m.pfds, unix.PollFd{Fd: fd, Events: unix.POLLIN})
	}
	n, err := unix.Poll(m.pfds, 500)
	if err != nil && !errors.Is(err, unix.EINTR) {
		time.Sleep(time.Millisecond)
	}
	if n > 0 && m.pfds[0].Revents != 0 {
		unix.Read(m.wakeFd, m.drain[:])
	}
	for i, pp := range m.ports {
		ev := m.pfds[i+1].Revents
		if ev&unix.POLLERR != 0 {
			// A socket error (say ENETDOWN while the link went down
			// and up): read it to clear it, or poll would never sleep.
			unix.GetsockoptInt(int(m.pfds[i+1].Fd), unix.SOL_SOCKET, unix.SO_ERROR)
		}
		if ev&(unix.POLLHUP|unix.POLLNVAL) != 0 && ev&unix.POLLIN == 0 {
			// The device is gone (a tap whose interface was deleted):
			// stop polling it; its port stays until it is deleted.
			pp.dead = true
			pp.port.Up.Store(false)
		}
	}
}

// Polled is a device driven by a Poller: it implements datapath.Attacher,
// so adding its port to a datapath starts receiving, and Close stops
// receiving before it closes the device.
type Polled struct {
	datapath.BatchDevice
	pl    *Poller
	owner *thread
	port  *datapath.Port
	w     *datapath.Worker
	dead  bool // owned by the PMD: stopped polling after POLLHUP

	devDrops uint64 // device drops already added to the port's counters
}

// Wrap returns dev as a device that pl polls once its port is attached.
func (pl *Poller) Wrap(dev datapath.BatchDevice) *Polled {
	return &Polled{BatchDevice: dev, pl: pl}
}

// Attach implements datapath.Attacher: the least loaded PMD takes the port.
func (pp *Polled) Attach(dp *datapath.Datapath, p *datapath.Port) error {
	pl := pp.pl
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return errors.New("poller is closed")
	}
	if pp.owner != nil {
		return errors.New("device is already attached")
	}
	m := pl.threads[0]
	for _, o := range pl.threads[1:] {
		if o.nports < m.nports {
			m = o
		}
	}
	pp.owner, pp.port = m, p
	m.nports++
	m.do(func() {
		w := m.workers[dp]
		if w == nil {
			w = dp.NewWorker()
			m.workers[dp] = w
		}
		pp.w = w
		m.ports = append(m.ports, pp)
	})
	return nil
}

// Close stops receiving from the device, waits until no PMD can be using
// it (each finishes its current batch), then closes it.
func (pp *Polled) Close() error {
	pl := pp.pl
	pl.mu.Lock()
	if m := pp.owner; m != nil && !pl.closed {
		m.nports--
		m.do(func() {
			for i, x := range m.ports {
				if x == pp {
					m.ports = append(m.ports[:i:i], m.ports[i+1:]...)
					break
				}
			}
		})
		for _, o := range pl.threads {
			o.do(func() {}) // quiesce: batches that might send to this device are done
		}
	}
	pp.owner = nil
	pl.mu.Unlock()
	return pp.BatchDevice.Close()
}

// Unwrap returns the device pp polls.
func (pp *Polled) Unwrap() datapath.BatchDevice { return pp.BatchDevice }

// AttachLocal gives bridge b's LOCAL port a host interface: open returns
// the device (for gvsd, an internal TAP named after the bridge, as Open
// vSwitch creates for every bridge), and pl polls it. Call it right after
// Datapath.AddBridge, before the bridge has other ports: Local.Dev is set
// without synchronisation, which is only safe while no packet can reach
// LOCAL. If the device has an MTU() method, LOCAL's MTU is set from it. On
// error the device, if opened, is closed.
func (pl *Poller) AttachLocal(dp *datapath.Datapath, b *datapath.Bridge, open func() (datapath.BatchDevice, error)) error {
	if b.Local.Dev != nil {
		return errors.New("bridge " + b.Name + ": LOCAL already has a device")
	}
	dev, err := open()
	if err != nil {
		return err
	}
	pp := pl.Wrap(dev)
	if m, ok := dev.(interface{ MTU() int }); ok {
		b.Local.MTU = m.MTU()
	}
	if err := pp.Attach(dp, b.Local); err != nil {
		dev.Close()
		return err
	}
	b.Local.Dev = pp
	return nil
}
