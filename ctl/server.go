package ctl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

// Server implements the control API over a datapath.
type Server struct {
	ctlpb.UnimplementedSwitchServer
	ctlpb.UnimplementedFlowsServer
	ctlpb.UnimplementedDatapathServer

	dp    *datapath.Datapath
	log   *zap.Logger
	open  vswitch.DeviceOpener
	state *StateStore

	quit  chan struct{}          // closed when Serve begins to stop: ends capture streams
	mu    sync.Mutex             // serialises changes and the control worker
	w     *datapath.Worker       // runs packet-out and trace
	ports map[string]config.Port // configuration of every port, by name
}

// NewServer returns a server for dp. open makes devices for new ports;
// state (may be nil) persists every change.
func NewServer(dp *datapath.Datapath, open vswitch.DeviceOpener, state *StateStore, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	return &Server{dp: dp, log: log, open: open, state: state, w: dp.NewWorker(), ports: map[string]config.Port{}, quit: make(chan struct{})}
}

// RememberPort records the configuration a port was built from (ports
// created from the configuration file or the state directory).
func (s *Server) RememberPort(pc config.Port) {
	s.mu.Lock()
	s.ports[pc.Name] = pc
	s.mu.Unlock()
}

// Serve serves the API on l until it is closed or ctx is done. Callers are
// admitted if root or in group gid (-1: root only).
func (s *Server) Serve(ctx context.Context, l net.Listener, gid int) error {
	a := authorizer{gid: gid}
	g := grpc.NewServer(grpc.Creds(unixCreds{}), grpc.ChainUnaryInterceptor(a.unary), grpc.ChainStreamInterceptor(a.stream))
	ctlpb.RegisterSwitchServer(g, s)
	ctlpb.RegisterFlowsServer(g, s)
	ctlpb.RegisterDatapathServer(g, s)
	ctlpb.RegisterConntrackServer(g, &conntrackService{dp: s.dp})
	hs := health.NewServer()
	for _, name := range []string{"", "gvs.v1.Switch", "gvs.v1.Flows", "gvs.v1.Datapath"} {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	stopped := make(chan struct{}) // Serve returned
	drained := make(chan struct{}) // the stopping goroutine is done
	go func() {
		defer close(drained)
		select {
		case <-ctx.Done():
		case <-stopped:
			g.Stop()
			return
		}
		// Drain: refuse new calls, let the ones in flight finish. Capture
		// streams run until the client goes away, so end them first, and
		// cut off whatever is still running after a grace period.
		hs.Shutdown()
		close(s.quit)
		done := make(chan struct{})
		go func() { g.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(drainTimeout):
			s.log.Warn("calls still running after the drain period: closing them", zap.Duration("after", drainTimeout))
			g.Stop()
		}
	}()
	err := g.Serve(l)
	// g.Serve returns as soon as the listener is closed; the calls in
	// flight must finish before the caller tears the datapath down.
	close(stopped)
	<-drained
	if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// drainTimeout bounds how long Serve waits for calls in flight when it
// stops.
const drainTimeout = 5 * time.Second

// save persists the current state; a failure is logged and reported.
func (s *Server) save() error {
	if s.state == nil {
		return nil
	}
	if err := s.state.Save(s.snapshot()); err != nil {
		s.log.Error("persist state", zap.Error(err))
		return status.Errorf(codes.Internal, "change applied but not persisted: %v", err)
	}
	return nil
}

func (s *Server) bridge(name string) (*datapath.Bridge, error) {
	b := s.dp.Bridge(name)
	if b == nil {
		return nil, status.Errorf(codes.NotFound, "no bridge named %s", name)
	}
	return b, nil
}

func invalid(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}
