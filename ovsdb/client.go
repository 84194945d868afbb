package ovsdb

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"go.uber.org/zap"

	"github.com/gvs-project/gvs/vswitch"
)

// Core is the control core as the client drives it: the reconciler's
// Switch and the counters written to Interface statistics.
type Core interface {
	Switch
	PortStats(bridge, port string) ([]vswitch.PortStats, error)
}

// NewCore is the Core over the control core sw.
func NewCore(sw *vswitch.Switch) Core { return switchCore{sw} }

// switchCore adds SetBridge, a transaction of the control core, to it.
type switchCore struct{ *vswitch.Switch }

func (c switchCore) SetBridge(rec vswitch.BridgeRecord) error {
	return c.Transact(func(tx *vswitch.Tx) error { return tx.SetBridge(rec) })
}

// Options configure Run.
type Options struct {
	// Endpoint is the database, in ovsdb(7) form: unix:PATH, tcp:IP:PORT.
	Endpoint string
	// Version is written to Open_vSwitch ovs_version.
	Version string
	// StatsInterval is how often statistics and link states are written
	// back; 0 is 5 s, as Open vSwitch does.
	StatsInterval time.Duration
	Log           *zap.Logger
}

// Run connects to the database, keeps the core reconciled with it and
// writes back the switch's state until ctx ends. It reconnects when the
// server goes away. It returns an error only if the options are bad or
// ctx ends; a server not yet listening is waited for.
func Run(ctx context.Context, core Core, o Options) error {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.StatsInterval <= 0 {
		o.StatsInterval = 5 * time.Second
	}
	dbModel, err := ClientModel()
	if err != nil {
		return fmt.Errorf("ovsdb model: %w", err)
	}
	discard := logr.Discard()
	c, err := client.NewOVSDBClient(dbModel,
		client.WithEndpoint(o.Endpoint),
		client.WithReconnect(5*time.Second, backoff.NewExponentialBackOff(backoff.WithMaxInterval(2*time.Second), backoff.WithMaxElapsedTime(0))),
		client.WithLogger(&discard))
	if err != nil {
		return fmt.Errorf("ovsdb client for %s: %w", o.Endpoint, err)
	}
	defer c.Close()
	kick := make(chan struct{}, 1)
	poke := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	handler := &cache.EventHandlerFuncs{
		AddFunc:    func(string, model.Model) { poke() },
		UpdateFunc: func(string, model.Model, model.Model) { poke() },
		DeleteFunc: func(string, model.Model) { poke() },
	}
	if err := connect(ctx, c, handler, o); err != nil {
		return err
	}
	o.Log.Info("ovsdb connected", zap.String("database", o.Endpoint))
	s := &session{c: c, core: core, rec: NewReconciler(core), o: o}
	tick := time.NewTicker(o.StatsInterval)
	defer tick.Stop()
	poke()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-tick.C:
		}
		if err := s.sync(ctx); err != nil {
			o.Log.Warn("ovsdb sync", zap.Error(err))
		}
	}
}

// connect dials and starts the monitor, retrying until it works or ctx
// ends, and registers h on the cache. (libovsdb's reconnection takes
// over after the first success.)
func connect(ctx context.Context, c client.Client, h cache.EventHandler, o Options) error {
	wait := 100 * time.Millisecond
	added := false
	for {
		err := c.Connect(ctx)
		if err == nil {
			// The cache exists once connected, and outlives
			// reconnections: one handler for the client's life.
			if !added {
				c.Cache().AddEventHandler(h)
				added = true
			}
			if _, err = c.MonitorAll(ctx); err == nil {
				return nil
			}
			c.Disconnect()
		}
		o.Log.Debug("ovsdb connect", zap.String("database", o.Endpoint), zap.Error(err))
		select {
		case <-ctx.Done():
			return fmt.Errorf("ovsdb %s: %w", o.Endpoint, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// session is one client's reconcile-and-write-back state.
type session struct {
	c    client.Client
	core Core
	rec  *Reconciler
	o    Options
}

// sync reconciles the core with the cached rows and writes back the
// result. Without a root row (not connected, or a cache being refilled
// after a reconnection) it does nothing: an empty snapshot must not
// delete every bridge.
func (s *session) sync(ctx context.Context) error {
	if !s.c.Connected() {
		return nil
	}
	r, err := s.snapshot(ctx)
	if err != nil || r.root == nil {
		return err
	}
	res := s.rec.Apply(desired(r))
	ops, err := s.writeBack(r, res)
	if err != nil || len(ops) == 0 {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	replies, err := s.c.Transact(tctx, ops...)
	if err != nil {
		return fmt.Errorf("write back: %w", err)
	}
	if _, err := ovsdbCheck(replies, ops); err != nil {
		return fmt.Errorf("write back: %w", err)
	}
	return nil
}

// snapshot lists the cached rows.
func (s *session) snapshot(ctx context.Context) (rows, error) {
	var (
		roots  []OpenVSwitch
		ports  []Port
		ifaces []Interface
		r      rows
	)
	if err := s.c.List(ctx, &roots); err != nil {
		return r, fmt.Errorf("list Open_vSwitch: %w", err)
	}
	if err := s.c.List(ctx, &r.bridges); err != nil {
		return r, fmt.Errorf("list Bridge: %w", err)
	}
	if err := s.c.List(ctx, &ports); err != nil {
		return r, fmt.Errorf("list Port: %w", err)
	}
	if err := s.c.List(ctx, &ifaces); err != nil {
		return r, fmt.Errorf("list Interface: %w", err)
	}
	if len(roots) > 0 {
		r.root = &roots[0]
	}
	r.ports = make(map[string]*Port, len(ports))
	for i := range ports {
		r.ports[ports[i].UUID] = &ports[i]
	}
	r.ifaces = make(map[string]*Interface, len(ifaces))
	for i := range ifaces {
		r.ifaces[ifaces[i].UUID] = &ifaces[i]
	}
	return r, nil
}
