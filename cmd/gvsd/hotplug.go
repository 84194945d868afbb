package main

import (
	"errors"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/netdev"
	"github.com/gvs-project/gvs/netdev/pmd"
)

// hotplugs are the daemon's system and afxdp port devices, by interface
// name, and the link watcher that reopens a port's device when its
// interface appears (or is re-created) and takes it down, with the
// reason, when its interface vanishes. A port whose interface is missing
// is created all the same, down; nothing else waits for it. Every change
// of a port's device is logged once, when it happens.
type hotplugs struct {
	log *zap.Logger

	mu     sync.Mutex
	byName map[string][]*hotplugPort
	w      *netdev.Watcher
}

// hotplugPort is a port's device as the datapath holds it: closing it
// (the port is deleted) also takes it out of the registry.
type hotplugPort struct {
	*pmd.Hotplug
	name string
	hp   *hotplugs
}

// Close implements datapath.Device.
func (d *hotplugPort) Close() error {
	d.hp.remove(d)
	return d.Hotplug.Close()
}

func newHotplugs(log *zap.Logger) *hotplugs {
	return &hotplugs{log: log, byName: map[string][]*hotplugPort{}}
}

// watch starts following the interfaces of gvsd's network namespace.
// Without it (the subscription failed) ports keep the device they were
// opened with: interfaces that appear later are not picked up.
func (hp *hotplugs) watch() error {
	w, err := netdev.WatchLinks(hp.handle, netdev.WatchOptions{
		OnError:  func(err error) { hp.log.Warn("link watcher", zap.Error(err)) },
		OnResync: hp.resync,
	})
	if err != nil {
		return err
	}
	hp.mu.Lock()
	hp.w = w
	hp.mu.Unlock()
	return nil
}

// Close stops the watcher; devices stay as they are. Idempotent.
func (hp *hotplugs) Close() {
	hp.mu.Lock()
	w := hp.w
	hp.w = nil
	hp.mu.Unlock()
	if w != nil {
		w.Close()
	}
}

// add opens the device of port name with open and registers it. If the
// interface cannot be opened the device starts without it (the port will
// be down) and the reason is logged.
func (hp *hotplugs) add(pl *pmd.Poller, name string, open func() (datapath.BatchDevice, error)) *hotplugPort {
	d := &hotplugPort{Hotplug: pl.NewHotplug(open), name: name, hp: hp}
	hp.mu.Lock()
	hp.byName[name] = append(hp.byName[name], d)
	hp.mu.Unlock()
	if err := d.Fault(); err != nil {
		hp.log.Warn("port device cannot be opened", zap.String("port", name), zap.Error(err))
		// A missing interface may have appeared after the open and
		// before the registration, when no event could reach d.
		var oe *netdev.OpenError
		if errors.As(err, &oe) && oe.Missing() {
			if index, running, err := netdev.LinkState(name); err == nil {
				hp.appeared(d, index, running)
			}
		}
	}
	return d
}

// all returns every registered device.
func (hp *hotplugs) all() []*hotplugPort {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	var out []*hotplugPort
	for _, list := range hp.byName {
		out = append(out, list...)
	}
	return out
}

// resync checks every device against the interfaces that exist now, after
// the watcher lost events: one whose interface is gone, or was
// re-created, is taken down or reopened as the lost events would have.
func (hp *hotplugs) resync() {
	for _, d := range hp.all() {
		index := d.Index()
		if index == 0 {
			continue // no device: the new subscription's dump reopens it
		}
		now, running, err := netdev.LinkState(d.name)
		if err != nil && !netdev.IsNoDevice(err) {
			continue // cannot tell
		}
		if now == index {
			continue
		}
		hp.gone(d, index)
		if err == nil {
			hp.appeared(d, now, running)
		}
	}
}

// remove takes d out of the registry.
func (hp *hotplugs) remove(d *hotplugPort) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	list := slices.DeleteFunc(hp.byName[d.name], func(x *hotplugPort) bool { return x == d })
	if len(list) == 0 {
		delete(hp.byName, d.name)
	} else {
		hp.byName[d.name] = list
	}
}

// handle applies one link event: an interface of a port's name exists
// (appeared, re-created or changed), or an interface a port had is gone
// (deleted, moved away or renamed).
func (hp *hotplugs) handle(ev netdev.LinkEvent) {
	hp.mu.Lock()
	var named, others []*hotplugPort
	for name, list := range hp.byName {
		if name == ev.Name && !ev.Gone {
			named = append(named, list...)
		} else {
			others = append(others, list...)
		}
	}
	hp.mu.Unlock()
	// The devices are called without hp.mu: opening one may take a while
	// and deleting a port (which removes it) must not wait for that.
	for _, d := range others {
		hp.gone(d, ev.Index)
	}
	for _, d := range named {
		hp.appeared(d, ev.Index, ev.Running)
	}
}

// gone tells d the interface with that index is gone and logs it if it
// was d's.
func (hp *hotplugs) gone(d *hotplugPort, index int) {
	if d.Gone(index, netdev.NoDevice(d.name)) {
		hp.log.Warn("port is down: its device vanished", zap.String("port", d.name), zap.Int("ifindex", index),
			zap.String("error", d.Fault().Error()))
	}
}

// appeared tells d its interface exists and logs what came of it.
func (hp *hotplugs) appeared(d *hotplugPort, index int, running bool) {
	reopened, err := d.Appeared(index, running)
	switch {
	case !reopened:
	case err != nil:
		hp.log.Warn("port is down: its device reappeared but cannot be opened", zap.String("port", d.name), zap.Int("ifindex", index), zap.Error(err))
	default:
		hp.log.Info("port device opened: the port forwards", zap.String("port", d.name), zap.Int("ifindex", index), zap.Bool("link_running", running))
	}
}
