package ctl

import (
	"context"
	"errors"
	"net"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/vswitch"
)

// Server implements the control API over the control core: each handler
// translates its request into a core call and the result (or the core's
// error kind, as a gRPC status code) back.
type Server struct {
	ctlpb.UnimplementedSwitchServer
	ctlpb.UnimplementedFlowsServer
	ctlpb.UnimplementedDatapathServer

	sw   *vswitch.Switch
	dp   *datapath.Datapath // sw's datapath, for read-only views
	log  *zap.Logger
	quit chan struct{} // closed when Serve begins to stop: ends capture streams
}

// NewServer returns a server for the core sw; log may be nil.
func NewServer(sw *vswitch.Switch, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	return &Server{sw: sw, dp: sw.Datapath(), log: log, quit: make(chan struct{})}
}

// Serve serves the API on l until it is closed or ctx is done. Callers are
// admitted if root or in group gid (-1: root only).
func (s *Server) Serve(ctx context.Context, l net.Listener, gid int) error {
	a, au := authorizer{gid: gid}, auditor{log: s.log}
	// The audit log is outermost: it records the authorizer's refusals.
	g := grpc.NewServer(grpc.Creds(unixCreds{}), grpc.ChainUnaryInterceptor(au.unary, a.unary), grpc.ChainStreamInterceptor(au.stream, a.stream))
	ctlpb.RegisterSwitchServer(g, s)
	ctlpb.RegisterFlowsServer(g, s)
	ctlpb.RegisterDatapathServer(g, s)
	ctlpb.RegisterConntrackServer(g, &conntrackService{sw: s.sw})
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
