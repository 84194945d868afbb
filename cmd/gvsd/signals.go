package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// handleSignals returns a context that ends at the first SIGINT or
// SIGTERM, each logged with its name, and a function that stops the
// handling. It is installed before anything else so no signal kills
// gvsd silently while it starts.
//
// SIGHUP is what ovs-vswitchd (and logrotate) use to reopen log files;
// gvsd logs to stderr and has no file to reopen, so it logs that and
// keeps running, rather than die, as it did with Go's default action.
func handleSignals(parent context.Context, log *zap.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				name := unix.SignalName(sig.(syscall.Signal))
				switch {
				case sig == syscall.SIGHUP:
					log.Info("SIGHUP: nothing to reopen (gvsd logs to stderr), still running", zap.String("signal", name))
				case ctx.Err() != nil:
					log.Info("already shutting down", zap.String("signal", name))
				default:
					log.Info("shutting down on signal", zap.String("signal", name))
					cancel()
				}
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
