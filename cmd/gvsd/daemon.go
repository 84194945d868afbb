package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

// newLogger builds the daemon's logger: JSON (production) by default,
// human-readable with format "console"; ISO-8601 timestamps in both.
// Nothing is sampled: the audit trail (ctl's audit interceptor) must
// hold every change, however many come in a second.
func newLogger(lc config.LogConfig) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	if lc.Level != "" {
		if err := level.Set(lc.Level); err != nil {
			return nil, fmt.Errorf("log level: %w", err)
		}
	}
	var zc zap.Config
	switch lc.Format {
	case "", "json":
		zc = zap.NewProductionConfig()
	case "console":
		zc = zap.NewDevelopmentConfig()
	default:
		return nil, fmt.Errorf("log format %q: want json or console", lc.Format)
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	ctl.RegisterLogLevel(zc.Level) // vlog/set changes it at run time
	return zc.Build()
}

// deviceOpener makes port devices in daemon mode; np opens the
// kernel-facing ones (the switch opens pcap files: Switch.ConfinePcap).
func (np *netPorts) deviceOpener(bridge string, p config.Port) (datapath.Device, error) {
	switch p.Type {
	case config.KindTap, config.KindInternal, config.KindSystem, config.KindAFXDP:
		return np.open(p)
	}
	return nil, fmt.Errorf("port type %q is not supported yet", p.Type)
}

// runDaemon serves the control socket and metrics until SIGINT or SIGTERM.
func runDaemon(ctx context.Context, cfg *config.Config) error {
	log, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer log.Sync()
	ctx, stop := handleSignals(ctx, log)
	defer stop()
	// The state directory first: a second gvsd on it is refused before it
	// touches a socket or a device.
	var store *vswitch.StateStore
	if cfg.StateDir != "" {
		if store, err = vswitch.OpenState(cfg.StateDir); err != nil {
			return err
		}
		defer store.Close()
	}
	gid, err := ctl.LookupGroup(cfg.SocketGroup)
	if err != nil {
		return err
	}
	l, err := ctl.Listen(cfg.Socket, gid)
	if err != nil {
		return err
	}
	defer l.Close() // removes the socket and its lock file

	np := newNetPorts(log)
	defer np.Close() // after the bridges' ports are deleted below
	// Before any port is opened: an interface that appears while the
	// ports are being set up is picked up too.
	if err := np.watch(); err != nil {
		log.Warn("system and afxdp ports will not follow their interfaces", zap.Error(err))
	}
	dp := datapath.New()
	ct := vswitch.NewConntrack(cfg.Conntrack)
	ct.Start(10 * time.Second) // expire idle connections
	defer ct.Close()
	dp.Conntrack = ct
	if cfg.LocalPorts {
		dp.OnBridge = func(b *datapath.Bridge) {
			if err := np.attachLocal(dp, b); err != nil {
				log.Warn("LOCAL port has no host interface", zap.String("bridge", b.Name), zap.Error(err))
			}
		}
	}
	sw := vswitch.New(dp, np.deviceOpener, store, log)
	pcapDir, err := cfg.PcapDirectory()
	if err != nil {
		return err
	}
	sw.ConfinePcap(pcapDir)
	if err := start(sw, store, cfg, log); err != nil {
		return err
	}
	srv := ctl.NewServer(sw, log)
	go expireFlows(ctx, sw, log)
	startOVSDB(ctx, sw, log) // ovsdb.go
	if cfg.Metrics != "" {
		closeMetrics, err := serveMetrics(cfg.Metrics, dp, srv, log)
		if err != nil {
			return err
		}
		defer closeMetrics()
	}
	log.Info("gvsd running", zap.String("socket", cfg.Socket), zap.Int("bridges", len(dp.Bridges())), zap.String("version", ctl.Version), zap.Int("pid", os.Getpid()))
	err = srv.Serve(ctx, l, gid)
	log.Info("gvsd stopping")
	np.StopWatching() // no device is reopened while the ports go
	// Close every device (pcap files are flushed). The socket file went
	// with the listener (Serve closes it).
	for _, b := range dp.Bridges() {
		dp.DelBridge(b.Name)
	}
	return err
}

// serveMetrics serves Prometheus metrics on addr until the returned
// function is called.
func serveMetrics(addr string, dp *datapath.Datapath, srv *ctl.Server, log *zap.Logger) (func() error, error) {
	ml, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(ctl.NewCollector(dp), ctl.NewConntrackCollector(dp), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", srv.Healthz) // 200 "ok" while the control core serves
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ml)
	log.Info("metrics", zap.String("address", ml.Addr().String()))
	return hs.Close, nil
}

// start restores the saved state if there is one, else loads the
// configuration's bridges and saves that as the first state.
func start(sw *vswitch.Switch, store *vswitch.StateStore, cfg *config.Config, log *zap.Logger) error {
	if store != nil {
		st, err := store.Load()
		if err != nil {
			return err
		}
		if st != nil {
			log.Info("restoring saved state", zap.Int("bridges", len(st.Bridges)))
			return sw.Restore(st)
		}
	}
	if err := sw.LoadConfig(cfg); err != nil {
		return err
	}
	if store != nil {
		return sw.SaveState()
	}
	return nil
}

// expireFlows removes flows whose idle or hard timeout has passed (learned
// flows included), once a second, as ovs-vswitchd does, until ctx ends.
// The core publishes flow-removed events for them.
func expireFlows(ctx context.Context, sw *vswitch.Switch, log *zap.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if gone := sw.ExpireFlows(now); gone > 0 {
				log.Debug("flows expired", zap.Int("flows", gone))
			}
		}
	}
}
