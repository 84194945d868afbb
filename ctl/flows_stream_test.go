package ctl

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/conntrack"
	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/datapath"
	"github.com/gvs-project/gvs/datapath/packet"
	"github.com/gvs-project/gvs/flowtable"
	"github.com/gvs-project/gvs/vswitch"
)

// streamFixture is the Flows service of a switch with bridge br0 (fail
// mode secure: no flows), served over an in-memory connection. done
// receives each stream handler's result once it has returned.
type streamFixture struct {
	fl      ctlpb.FlowsClient
	ct      ctlpb.ConntrackClient
	sw      *vswitch.Switch
	tracker *conntrack.Tracker
	done    chan error
}

func newStreamFixture(t *testing.T) *streamFixture {
	t.Helper()
	dp := datapath.New()
	tracker := vswitch.NewConntrack(config.Conntrack{})
	dp.Conntrack = tracker
	sw := vswitch.New(dp, nil, nil, nil)
	if err := sw.AddBridge("br0", "secure", false); err != nil {
		t.Fatal(err)
	}
	fx := &streamFixture{sw: sw, tracker: tracker, done: make(chan error, 16)}
	l := bufconn.Listen(1 << 20)
	g := grpc.NewServer(grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		err := h(srv, ss)
		fx.done <- err
		return err
	}))
	ctlpb.RegisterFlowsServer(g, NewServer(sw, nil))
	ctlpb.RegisterConntrackServer(g, &conntrackService{sw: sw})
	go g.Serve(l)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fx.fl, fx.ct = ctlpb.NewFlowsClient(conn), ctlpb.NewConntrackClient(conn)
	return fx
}

// flows returns br0's flows as dump-flows --no-stats lines.
func (fx *streamFixture) flows(t *testing.T) []string {
	t.Helper()
	r, err := fx.fl.DumpFlows(context.Background(), &ctlpb.DumpFlowsRequest{Bridge: "br0", NoStats: true})
	if err != nil {
		t.Fatal(err)
	}
	return r.Lines
}

// handlerResult waits for the stream handler to return.
func (fx *streamFixture) handlerResult(t *testing.T) error {
	t.Helper()
	select {
	case err := <-fx.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the stream handler did not return within 10s")
		return nil
	}
}

// TestStreamModFlows checks that chunks make one flow file: line numbers
// and continuation lines run across chunk boundaries, and nothing is
// applied unless every line of every chunk is good and the client
// finished the stream.
func TestStreamModFlows(t *testing.T) {
	cases := []struct {
		name    string
		chunks  []*ctlpb.ModFlowsRequest
		cancel  bool // the client gives up instead of closing its side
		errCode codes.Code
		errHas  string
		want    []string // flows afterwards (nil: none)
	}{
		{name: "continuation across chunks",
			chunks: []*ctlpb.ModFlowsRequest{
				{Bridge: "br0", Command: "add", Flows: []string{"priority=1,actions=drop", "# comment", "priority=2,\\"}},
				{Flows: []string{"in_port=1,actions=drop"}},
				{Bridge: "br0", Flows: []string{"", "priority=3,actions=drop"}}},
			want: []string{" priority=3 actions=drop", " priority=2,in_port=1 actions=drop", " priority=1 actions=drop"}},
		{name: "bad line in a later chunk refuses all, numbered over the stream",
			chunks: []*ctlpb.ModFlowsRequest{
				{Bridge: "br0", Flows: []string{"priority=1,actions=drop", "priority=2,actions=drop"}},
				{Flows: []string{"priority=3,actions=drop"}},
				{Flows: []string{"priority=4,actions=drop", "priority=5,nw_src=1.2.3.4.5,actions=drop"}}},
			errCode: codes.InvalidArgument, errHas: "line 5, column 19"},
		{name: "a chunk naming another bridge",
			chunks: []*ctlpb.ModFlowsRequest{
				{Bridge: "br0", Flows: []string{"priority=1,actions=drop"}},
				{Bridge: "br1", Flows: []string{"priority=2,actions=drop"}}},
			errCode: codes.InvalidArgument, errHas: `names bridge "br1"`},
		{name: "cancelled stream applies nothing",
			chunks: []*ctlpb.ModFlowsRequest{{Bridge: "br0", Flows: []string{"priority=1,actions=drop"}}},
			cancel: true, errCode: codes.Canceled},
		{name: "unknown bridge",
			chunks:  []*ctlpb.ModFlowsRequest{{Bridge: "br9", Flows: []string{"priority=1,actions=drop"}}},
			errCode: codes.NotFound, errHas: "br9"},
		{name: "empty delete stream deletes nothing",
			chunks: []*ctlpb.ModFlowsRequest{{Bridge: "br0", Command: "delete"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newStreamFixture(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := fx.fl.StreamModFlows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range c.chunks {
				if err := st.Send(ch); err != nil && err != io.EOF {
					t.Fatal(err)
				}
			}
			if c.cancel {
				cancel()
			} else {
				_, err = st.CloseAndRecv()
			}
			herr := fx.handlerResult(t)
			if c.cancel {
				err = herr
			}
			if got := status.Code(err); got != c.errCode || !strings.Contains(fmt.Sprint(err), c.errHas) {
				t.Fatalf("got %v (%v), want %v containing %q", err, got, c.errCode, c.errHas)
			}
			if got := fx.flows(t); !slices.Equal(got, c.want) {
				t.Errorf("flows afterwards:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// numbered returns n distinct flows, tagged with cookie c.
func numbered(n int, c int) []string {
	fs := make([]string, n)
	for i := range fs {
		fs[i] = fmt.Sprintf("cookie=%#x,priority=%d,ip,nw_src=10.%d.%d.%d,actions=output:%d", c, 1+i%1000, i>>16&255, i>>8&255, i&255, 1+i%4)
	}
	return fs
}

// TestStreamReplaceFlows checks a replace is all or nothing across
// chunks: a bad last line keeps the old table entire.
func TestStreamReplaceFlows(t *testing.T) {
	fx := newStreamFixture(t)
	replace := func(chunks ...[]string) error {
		st, err := fx.fl.StreamReplaceFlows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i, ch := range chunks {
			req := &ctlpb.ReplaceFlowsRequest{Flows: ch}
			if i == 0 {
				req.Bridge = "br0"
			}
			if err := st.Send(req); err != nil && err != io.EOF {
				t.Fatal(err)
			}
		}
		_, err = st.CloseAndRecv()
		fx.handlerResult(t)
		return err
	}
	a := numbered(3000, 0xa)
	if err := replace(a[:1000], a[1000:2000], a[2000:]); err != nil {
		t.Fatal(err)
	}
	before := fx.flows(t)
	if len(before) != 3000 {
		t.Fatalf("%d flows after replacing with 3000", len(before))
	}
	b := numbered(3000, 0xb)
	err := replace(b[:1500], append(b[1500:], "priority=1,actions=frobnicate"))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "line 3001, column 20") {
		t.Fatalf("replace with a bad last line: %v", err)
	}
	if got := fx.flows(t); !slices.Equal(got, before) {
		t.Fatalf("a refused replace changed the table (%d flows, first %q)", len(got), got[0])
	}
	if err := replace(b[:1500], b[1500:]); err != nil {
		t.Fatal(err)
	}
	if got := fx.flows(t); len(got) != 3000 || !strings.HasPrefix(got[0], " cookie=0xb,") {
		t.Fatalf("after the good replace: %d flows, first %q", len(got), got[0])
	}
}

// TestStreamDumpFlows checks that a dump larger than one message comes
// in several, each within the message limit, whose lines together are
// the whole dump in order; and that the unary DumpFlows says to stream.
func TestStreamDumpFlows(t *testing.T) {
	fx := newStreamFixture(t)
	if _, err := fx.sw.ModFlows("br0", flowtable.CmdAdd, numbered(30000, 0x1)); err != nil {
		t.Fatal(err)
	}
	st, err := fx.fl.StreamDumpFlows(context.Background(), &ctlpb.DumpFlowsRequest{Bridge: "br0", Match: "cookie=0x1/-1", NoStats: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	got := recvAll(t, st)
	msgs := len(got)
	for i, r := range got {
		if len(r.Lines) != len(r.Flows) {
			t.Fatalf("message %d: %d lines, %d flow stats", i, len(r.Lines), len(r.Flows))
		}
		lines = append(lines, r.Lines...)
	}
	_, flows, err := fx.sw.DumpFlows("br0", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 30000 || len(flows) != 30000 || msgs < 3 {
		t.Fatalf("%d lines in %d messages, %d flows in the table", len(lines), msgs, len(flows))
	}
	for i, f := range flows {
		if want := f.Format(flowtable.FormatOptions{NoStats: true}); lines[i] != want {
			t.Fatalf("line %d is %q, want the table's flow %d, %q", i, lines[i], i, want)
		}
	}
	st, err = fx.fl.StreamDumpFlows(context.Background(), &ctlpb.DumpFlowsRequest{Bridge: "br0", NoStats: true, LinesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var linesOnly []string
	for _, r := range recvAll(t, st) {
		if len(r.Flows) != 0 {
			t.Fatalf("lines_only dump carries %d structured flows", len(r.Flows))
		}
		linesOnly = append(linesOnly, r.Lines...)
	}
	if !slices.Equal(linesOnly, lines) {
		t.Errorf("lines_only dump: %d lines, not those of the full dump (%d)", len(linesOnly), len(lines))
	}
	_, err = fx.fl.DumpFlows(context.Background(), &ctlpb.DumpFlowsRequest{Bridge: "br0"})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "StreamDumpFlows") {
		t.Fatalf("unary dump of 30000 flows: %v, want ResourceExhausted naming StreamDumpFlows", err)
	}
}

// TestStreamDumpConntrack checks that a conntrack table larger than one
// chunk comes in several messages whose texts together are the unary
// dump's, and that a zone filter applies to the stream.
func TestStreamDumpConntrack(t *testing.T) {
	fx := newStreamFixture(t)
	ct := fx.tracker
	const n = 2*ctChunkEntries + 100
	for i := range n {
		var p packet.Packet
		f := udpFrame(t, uint16(1000+i))
		p.Reset(f, 0, len(f))
		ct.Execute(&p, &conntrack.Request{Commit: true, Zone: uint16(1 + i%2)}, 1)
	}
	for _, zone := range []*uint32{nil, ptr(uint32(2))} {
		st, err := fx.ct.StreamDumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{Zone: zone})
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		got := recvAll(t, st)
		msgs, entries := len(got), 0
		for _, r := range got {
			entries += len(r.Entries)
			text.WriteString(r.Text)
		}
		whole, err := fx.ct.DumpConntrack(context.Background(), &ctlpb.DumpConntrackRequest{Zone: zone})
		if err != nil {
			t.Fatal(err)
		}
		want := n
		if zone != nil {
			want = n / 2
		}
		if entries != want || text.String() != whole.Text || msgs != (want+ctChunkEntries-1)/ctChunkEntries {
			t.Errorf("zone %v: %d entries in %d messages, want %d; text equal to the unary dump: %v",
				zone, entries, msgs, want, text.String() == whole.Text)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// recvAll receives every message of a server stream.
func recvAll[T any](t *testing.T, st grpc.ServerStreamingClient[T]) []*T {
	t.Helper()
	var all []*T
	for {
		r, err := st.Recv()
		if err == io.EOF {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
}
