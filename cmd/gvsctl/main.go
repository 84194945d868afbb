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
)

// DefaultSocket is where gvsd listens unless configured otherwise.
const DefaultSocket = "/run/gvs/gvsd.sock"

// cli holds the global flags and the connection.
type cli struct {
	socket string
	output string
	out    io.Writer
	conn   *grpc.ClientConn
	sw     ctlpb.SwitchClient
	fl     ctlpb.FlowsClient
	dp     ctlpb.DatapathClient
}

func main() {
	c := &cli{out: os.Stdout}
	if err := c.root().ExecuteContext(context.Background()); err != nil {
		err = callError(err)
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
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Name() == "completion" || cmd.HasParent() && cmd.Parent().Name() == "completion" || cmd.Name() == "help" {
				return nil
			}
			if c.output != "text" && c.output != "json" {
				return fmt.Errorf("-o must be text or json, not %q", c.output)
			}
			return c.dial()
		},
	}
	root.PersistentFlags().StringVar(&c.socket, "socket", sock, "gvsd control socket (env GVS_SOCKET)")
	root.PersistentFlags().StringVarP(&c.output, "output", "o", "text", "output format: text or json")
	root.AddGroup(&cobra.Group{ID: "vsctl", Title: "Bridges and ports (ovs-vsctl):"},
		&cobra.Group{ID: "ofctl", Title: "OpenFlow (ovs-ofctl):"},
		&cobra.Group{ID: "appctl", Title: "Datapath (ovs-appctl):"})
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

// callError turns a failed call into the message gvsctl prints.
func callError(err error) error {
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch s.Code() {
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("not authorised: %s", s.Message())
	case codes.Unavailable:
		return fmt.Errorf("gvsd stopped answering: %s", s.Message())
	}
	return errors.New(s.Message())
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
