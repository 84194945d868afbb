package main

import (
	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/internal/version"
)

func newRootCmd() *cobra.Command {
	var cfgPath, logFormat, logLevel, socket string
	root := &cobra.Command{
		Use:           "gvsd",
		Short:         "gvs, a userspace virtual switch for OpenStack hypervisors",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		Version:       version.String(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.Default()
			if cfgPath != "" {
				var err error
				if cfg, err = config.Load(cfgPath); err != nil {
					return err
				}
			}
			if logFormat != "" {
				cfg.Log.Format = logFormat
			}
			if logLevel != "" {
				cfg.Log.Level = logLevel
			}
			if socket != "" {
				cfg.Socket = socket
			}
			return runDaemon(cmd.Context(), cfg)
		},
	}
	root.Flags().StringVar(&cfgPath, "config", "", "configuration file (default: the embedded configuration, see 'gvsd config default')")
	root.Flags().StringVar(&logFormat, "log-format", "", "log format, json or console (default: the configuration's log.format, json)")
	root.Flags().StringVar(&logLevel, "log-level", "", "log level: debug, info, warn or error (default: the configuration's log.level, info)")
	root.Flags().StringVar(&socket, "socket", "", "control socket path (default: the configuration's socket, "+config.DefaultSocket+"); gvsctl takes --socket or GVS_SOCKET")
	addOVSDBFlag(root) // ovsdb.go
	root.SetVersionTemplate("gvsd (gvs) {{.Version}}\n")
	root.AddCommand(newReplayCmd(), newConfigCmd())
	return root
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Configuration helpers"}
	cmd.AddCommand(&cobra.Command{
		Use:   "default",
		Short: "Print the embedded default configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(config.DefaultYAML())
			return err
		},
	})
	cmd.AddCommand(newConfigCheckCmd()) // configcheck.go
	return cmd
}
