package netdev

import (
	"fmt"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// LinkEvent is a change of a kernel interface, as rtnetlink reports it.
type LinkEvent struct {
	Name  string
	Index int
	// Gone: the interface was deleted or moved to another network
	// namespace. Otherwise it exists (new, or changed: flags, name).
	Gone bool
	// Running: IFF_UP and IFF_RUNNING (the link has a carrier).
	Running bool
}

// resubscribeDelay is how long a Watcher waits before it subscribes again
// after its netlink socket failed (an overrun, say).
const resubscribeDelay = 100 * time.Millisecond

// Watcher follows the interfaces of the network namespace it was started
// in, through an rtnetlink subscription to link updates. It calls its
// handler for every update, from one goroutine, in the kernel's order; it
// starts with one event per interface that exists (so nothing that
// appeared before the subscription is missed), and does so again whenever
// it has to subscribe again after its socket failed (events may have been
// lost). A Watcher holds no state but its subscription.
type Watcher struct {
	handle  func(LinkEvent)
	opts    WatchOptions
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// WatchOptions are a Watcher's optional callbacks, called from its
// goroutine.
type WatchOptions struct {
	// OnError hears of a failed subscription (the Watcher then subscribes
	// again) or of an inconsistent dump.
	OnError func(error)
	// OnResync is called once a new subscription replaced a failed one:
	// deletions may have been lost meanwhile (a dump lists only the
	// interfaces that exist), so users check what they hold.
	OnResync func()
}

// WatchLinks subscribes to link updates in the calling thread's network
// namespace and calls handle for each until Close. An error is returned
// only if the first subscription fails.
func WatchLinks(handle func(LinkEvent), opts WatchOptions) (*Watcher, error) {
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	if opts.OnResync == nil {
		opts.OnResync = func() {}
	}
	w := &Watcher{handle: handle, opts: opts, done: make(chan struct{}), stopped: make(chan struct{})}
	ch, err := w.subscribe()
	if err != nil {
		return nil, err
	}
	go w.run(ch)
	return w, nil
}

// subscribe opens a subscription that starts with a dump of every link.
func (w *Watcher) subscribe() (chan netlink.LinkUpdate, error) {
	ch := make(chan netlink.LinkUpdate, 64)
	err := netlink.LinkSubscribeWithOptions(ch, w.done, netlink.LinkSubscribeOptions{
		ListExisting: true,
		ErrorCallback: func(err error) {
			select {
			case <-w.done: // the socket closed under Close: not a failure
			default:
				w.opts.OnError(err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to link updates: %w", err)
	}
	return ch, nil
}

// run delivers events until Close; when the subscription ends on its own
// it subscribes again.
func (w *Watcher) run(ch chan netlink.LinkUpdate) {
	defer close(w.stopped)
	for {
		for u := range ch { // closed when the subscription ends
			w.handle(eventOf(u))
		}
		for {
			select {
			case <-w.done:
				return
			case <-time.After(resubscribeDelay):
			}
			var err error
			if ch, err = w.subscribe(); err == nil {
				break
			}
			w.opts.OnError(err)
		}
		w.opts.OnResync()
	}
}

func eventOf(u netlink.LinkUpdate) LinkEvent {
	a := u.Link.Attrs()
	return LinkEvent{
		Name: a.Name, Index: a.Index,
		Gone:    u.Header.Type == unix.RTM_DELLINK,
		Running: a.RawFlags&unix.IFF_UP != 0 && a.RawFlags&unix.IFF_RUNNING != 0,
	}
}

// Close ends the subscription and waits until the handler is no longer
// running. It is idempotent.
func (w *Watcher) Close() {
	w.once.Do(func() { close(w.done) })
	<-w.stopped
}
