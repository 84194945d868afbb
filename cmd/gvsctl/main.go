// Command gvsctl drives gvsd over its control socket with the verbs Open
// vSwitch operators know from ovs-vsctl, ovs-ofctl and ovs-appctl.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/internal/version"
)

// DefaultSocket is where gvsd listens unless configured otherwise.
const DefaultSocket = "/run/gvs/gvsd.sock"

// cli holds the global flags and the connection.
type cli struct {
	socket  string
	output  string
	timeout timeoutFlag
	limit   time.Duration      // the deadline of this call (0 = none)
	cancel  context.CancelFunc // ends that deadline
	// localPaths: gvsd opens files as named in this shell (root, or the
	// user gvsd runs as), so relative pcap paths are made absolute here;
	// otherwise gvsd resolves them inside its pcap directory.
	localPaths bool
	out        io.Writer
	conn       *grpc.ClientConn
	sw         ctlpb.SwitchClient
	fl         ctlpb.FlowsClient
	dp         ctlpb.DatapathClient
}

func main() {
	c := &cli{out: os.Stdout}
	err := c.root().ExecuteContext(context.Background())
	if c.cancel != nil {
		c.cancel()
	}
	if err != nil {
		err = c.callError(err)
		fmt.Fprintln(os.Stderr, "gvsctl:", err)
		os.Exit(1)
	}
}

func (c *cli) root() *cobra.Command {
	sock := os.Getenv("GVS_SOCKET")
	if sock == "" {
		sock = DefaultSocket
	}
	root := &cobra.Command{
		Use:           "gvsctl",
		Short:         "Control gvsd: bridges, ports, flows and the datapath, in Open vSwitch's vocabulary",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Name() == "completion" || cmd.HasParent() && cmd.Parent().Name() == "completion" || cmd.Name() == "help" {
				return nil
			}
			if c.output != "text" && c.output != "json" {
				return fmt.Errorf("-o must be text or json, not %q", c.output)
			}
			if err := c.dial(); err != nil {
				return err
			}
			if d := c.timeout.timeoutFor(cmd); d > 0 {
				tctx, cancel := context.WithTimeout(cmd.Context(), d)
				cmd.SetContext(tctx)
				c.limit, c.cancel = d, cancel
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&c.socket, "socket", sock, "gvsd control socket (env GVS_SOCKET)")
	root.SetVersionTemplate("gvsctl (gvs) {{.Version}}\n")
	root.PersistentFlags().StringVarP(&c.output, "output", "o", "text", "output format: text or json")
	root.PersistentFlags().Var(&c.timeout, "timeout", timeoutHelp)
	root.AddGroup(&cobra.Group{ID: "vsctl", Title: "Bridges and ports (ovs-vsctl):"},
		&cobra.Group{ID: "ofctl", Title: "OpenFlow (ovs-ofctl):"},
		&cobra.Group{ID: "appctl", Title: "Datapath (ovs-appctl):"})
	root.Args, root.RunE = chainArgs, c.runChain // gvsctl -- CMD ... -- CMD ...
	vsctlOptions(root)                           // gvsctl --if-exists del-br ..., as ovs-vsctl
	root.AddCommand(c.vsctlCmds()...)
	root.AddCommand(c.ofctlCmds()...)
	root.AddCommand(c.appctlCmds()...)
	return root
}

// dial connects to gvsd, saying clearly when it is not running or when
// the caller may not use its socket.
func (c *cli) dial() error {
	nc, err := net.DialTimeout("unix", c.socket, 2*time.Second)
	if err != nil {
		return dialError(c.socket, err)
	}
	nc.Close()
	c.localPaths = sameUserAsGvsd(c.socket)
	conn, err := grpc.NewClient("unix://"+c.socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	c.conn = conn
	c.sw, c.fl, c.dp = ctlpb.NewSwitchClient(conn), ctlpb.NewFlowsClient(conn), ctlpb.NewDatapathClient(conn)
	return nil
}

// dialError explains a failure to connect to the socket.
func dialError(sock string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("permission denied on %s: gvsctl must run as root or as a member of the socket's group (socket_group in gvsd's configuration)", sock)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("gvsd is not running (nothing listens on %s)\nstart it with 'sudo gvsd' (or 'make build && sudo ./bin/gvsd' in a checkout), or point --socket / GVS_SOCKET at its socket", sock)
	}
	return fmt.Errorf("cannot reach gvsd at %s: %v\nis gvsd running? start it with 'sudo gvsd', or point --socket / GVS_SOCKET at its socket", sock, err)
}

// sameUserAsGvsd reports whether this process is root or runs as the
// owner of the socket (the user gvsd runs as): gvsd then opens the files
// it is given as this process would.
func sameUserAsGvsd(sock string) bool {
	euid := os.Geteuid()
	if euid == 0 {
		return true
	}
	fi, err := os.Stat(sock)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == euid
}

// callError turns a failed call into the message gvsctl prints.
func (c *cli) callError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return c.timeoutError()
	}
	var inner interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &inner) {
		return err
	}
	s := inner.GRPCStatus()
	switch s.Code() {
	case codes.DeadlineExceeded:
		return c.timeoutError()
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("not authorised: %s", s.Message())
	case codes.Unavailable:
		return fmt.Errorf("gvsd stopped answering: %s", s.Message())
	}
	// The status's message alone, also where the status is wrapped (no
	// "rpc error: code = ... desc =" inside another message).
	msg := s.Message()
	if ie, ok := inner.(error); ok {
		msg = strings.Replace(err.Error(), ie.Error(), msg, 1)
	}
	return errors.New(msg)
}

// timeoutError says that the call did not end in time.
func (c *cli) timeoutError() error {
	return fmt.Errorf("the call to gvsd at %s timed out after %v (--timeout to change; 0 = none)", c.socket, c.limit)
}

// json prints a response as JSON when -o json was given, reporting whether
// it did.
func (c *cli) json(m proto.Message) bool {
	if c.output != "json" {
		return false
	}
	b, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gvsctl:", err)
		return true
	}
	fmt.Fprintln(c.out, string(b))
	return true
}

func ctx(cmd *cobra.Command) context.Context { return cmd.Context() }
