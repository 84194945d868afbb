package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/ctl"
	"github.com/gvs-project/gvs/flowtable"
)

// errConfigInvalid ends `gvsd config check` with status 1 once the
// errors have been printed.
var errConfigInvalid = errors.New("configuration is not valid")

// newConfigCheckCmd is `gvsd config check FILE`: it validates a
// configuration, and the flow files its bridges name, without opening a
// socket, a device or the state directory. It prints "FILE: OK" and exits
// 0, or prints each error (with the line, and for flows the column) and
// exits 1.
func newConfigCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a configuration file and its flow files without starting",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errs := checkConfig(args[0])
			if len(errs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", args[0])
				return nil
			}
			for _, err := range errs {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
			}
			return fmt.Errorf("%s: %w (%d error(s))", args[0], errConfigInvalid, len(errs))
		},
	}
}

// checkConfig returns what is wrong with the configuration at path: its
// first configuration error (Load stops there), or else a log setting,
// socket group or pcap directory gvsd would refuse, and every flow file
// that does not parse.
func checkConfig(path string) []error {
	cfg, err := config.Load(path)
	if err != nil {
		return []error{err}
	}
	var errs []error
	// What runDaemon checks before it starts anything.
	if _, err := newLogger(cfg.Log); err != nil {
		errs = append(errs, fmt.Errorf("log: %w", err))
	}
	if _, err := ctl.LookupGroup(cfg.SocketGroup); err != nil {
		errs = append(errs, fmt.Errorf("socket_group: %w", err))
	}
	if _, err := cfg.PcapDirectory(); err != nil {
		errs = append(errs, fmt.Errorf("pcap_dir: %w", err))
	}
	for _, b := range cfg.Bridges {
		if b.Flows == "" {
			continue
		}
		if err := checkFlowFile(b); err != nil {
			errs = append(errs, fmt.Errorf("bridge %q: flows %s: %w", b.Name, b.Flows, err))
		}
	}
	return errs
}

// checkFlowFile parses bridge b's flow file as gvsd would load it: port
// names resolve to the bridge's configured ports (a port without a fixed
// ofport gets a stand-in number: only whether it exists matters here).
func checkFlowFile(b config.Bridge) error {
	f, err := os.Open(b.Flows)
	if err != nil {
		return err
	}
	defer f.Close()
	ports := map[string]flowtable.Port{}
	for i, p := range b.Ports {
		n := flowtable.Port(p.OFPort)
		if n == 0 {
			n = flowtable.Port(i + 1)
		}
		ports[p.Name] = n
	}
	ports[b.Name] = flowtable.PortLocal
	opts := flowtable.ParseOptions{Ports: func(name string) (flowtable.Port, bool) {
		n, ok := ports[name]
		return n, ok
	}}
	_, err = flowtable.ParseFlowsWith(io.Reader(f), flowtable.CmdAdd, opts)
	return err
}
