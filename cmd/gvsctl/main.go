// Command gvsctl drives gvsd over its control socket with the verbs Open
// vSwitch operators know from ovs-vsctl, ovs-ofctl and ovs-appctl.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
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
		if s, ok := status.FromError(err); ok {
			err = fmt.Errorf("%s", s.Message())
		}
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

// dial connects to gvsd, saying clearly when it is not running.
func (c *cli) dial() error {
	nc, err := net.DialTimeout("unix", c.socket, 2*time.Second)
	if err != nil {
		return fmt.Errorf("cannot reach gvsd at %s: %v\nis gvsd running? start it with 'sudo gvsd' (or 'make build && sudo ./bin/gvsd'), or point --socket / GVS_SOCKET at its socket", c.socket, err)
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
