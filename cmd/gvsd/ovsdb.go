package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/gvs-project/gvs/ctl"
	"github.com/gvs-project/gvs/ovsdb"
	"github.com/gvs-project/gvs/vswitch"
)

// ovsdbTarget is the database gvsd is a client of (OVSDB client mode,
// as ovs-vswitchd): the positional DATABASE argument or --ovsdb; "" for
// none.
var ovsdbTarget string

// addOVSDBFlag adds --ovsdb to root and lets it take the DATABASE
// argument of ovs-vswitchd (unix:PATH, tcp:IP:PORT).
func addOVSDBFlag(root *cobra.Command) {
	root.Flags().StringVar(&ovsdbTarget, "ovsdb", "", "be a client of this ovsdb-server (unix:PATH or tcp:IP:PORT), as ovs-vswitchd; also the positional DATABASE argument")
	root.Args = func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
			return err
		}
		if len(args) == 1 {
			ovsdbTarget = args[0]
		}
		return nil
	}
}

// startOVSDB runs the OVSDB client against sw until ctx ends, if a
// database was given.
func startOVSDB(ctx context.Context, sw *vswitch.Switch, log *zap.Logger) {
	if ovsdbTarget == "" {
		return
	}
	target := ovsdbTarget
	if !strings.Contains(target, ":") {
		target = "unix:" + target // ovs-vswitchd takes a bare socket path too
	}
	go func() {
		err := ovsdb.Run(ctx, ovsdb.NewCore(sw), ovsdb.Options{Endpoint: target, Version: ctl.Version, Log: log.Named("ovsdb")})
		if err != nil && ctx.Err() == nil {
			log.Error("ovsdb client stopped", zap.Error(err))
		}
	}()
}
