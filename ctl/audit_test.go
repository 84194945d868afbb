package ctl

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

func TestSummarize(t *testing.T) {
	tag := uint32(10)
	flows := make([]string, 100000)
	for i := range flows {
		flows[i] = "priority=1,actions=drop"
	}
	for _, tc := range []struct {
		name string
		msg  any
		want string
	}{
		{"nil", nil, ""},
		{"not a message", "x", ""},
		{"empty", &ctlpb.ListBridgesRequest{}, ""},
		{"scalars", &ctlpb.AddBridgeRequest{Name: "br0", FailMode: "secure", MayExist: true}, `name="br0" fail_mode="secure" may_exist=true`},
		{"flow file by count", &ctlpb.ReplaceFlowsRequest{Bridge: "br0", Flows: flows}, `bridge="br0" flows=[100000]`},
		{"bytes by length", &ctlpb.PacketOutRequest{Bridge: "br0", InPort: "p1", Frames: [][]byte{make([]byte, 60)}}, `bridge="br0" in_port="p1" frames=[1]`},
		{"nested and map", &ctlpb.AddPortRequest{Bridge: "br0", Port: &ctlpb.Port{Name: "p1", Type: "pcap", Tag: &tag, Options: map[string]string{"tx": "/tmp/x.pcap", "rx": "a"}}},
			`bridge="br0" port{name="p1" type="pcap" tag=10 options={rx:"a" tx:"/tmp/x.pcap"}}`},
		{"long string cut", &ctlpb.DumpFlowsRequest{Bridge: strings.Repeat("b", 100)}, `bridge="` + strings.Repeat("b", 64) + `…"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summarize(tc.msg); got != tc.want {
				t.Errorf("summarize = %s\nwant        %s", got, tc.want)
			}
		})
	}
	big := &ctlpb.SetPortRequest{Name: "p", Options: map[string]string{}}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		big.Options[k] = strings.Repeat("v", 60)
	}
	if got := summarize(big); !strings.Contains(got, "options={9 entries}") {
		t.Errorf("a large map: %s", got)
	}
}

func TestReadOnly(t *testing.T) {
	for method, want := range map[string]bool{
		"/gvs.v1.Flows/DumpFlows":              true,
		"/gvs.v1.Flows/StreamDumpFlows":        true,
		"/gvs.v1.Flows/StreamModFlows":         false,
		"/gvs.v1.Flows/StreamReplaceFlows":     false,
		"/gvs.v1.Switch/ListBridges":           true,
		"/gvs.v1.Datapath/Capture":             true,
		"/grpc.health.v1.Health/Check":         true,
		"/gvs.v1.Switch/AddBridge":             false,
		"/gvs.v1.Flows/ModFlows":               false,
		"/gvs.v1.Datapath/PacketOut":           false,
		"/gvs.v1.Conntrack/FlushConntrack":     false,
		"/gvs.v1.Switch/SomethingNewAndUnsafe": false,
	} {
		if got := readOnly(method); got != want {
			t.Errorf("readOnly(%s) = %v, want %v", method, got, want)
		}
	}
}

// TestAuditUnary runs the interceptor chain as Serve builds it, for a
// change, a read-only call and a refused caller.
func TestAuditUnary(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	au, a := auditor{log: zap.New(core)}, authorizer{gid: 1234}
	chain := func(ctx context.Context, method string, req any, herr error) {
		info := &grpc.UnaryServerInfo{FullMethod: method}
		au.unary(ctx, req, info, func(ctx context.Context, req any) (any, error) {
			return a.unary(ctx, req, info, func(context.Context, any) (any, error) {
				return &ctlpb.ModFlowsResponse{Applied: 2}, herr
			})
		})
	}
	member := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: peerCreds{uid: 1001, gid: 1234, pid: 42}})
	stranger := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: peerCreds{uid: 1002, gid: 99, pid: 43}})
	chain(member, "/gvs.v1.Flows/ModFlows", &ctlpb.ModFlowsRequest{Bridge: "br0", Flows: []string{"a", "b"}}, nil)
	chain(member, "/gvs.v1.Flows/DumpFlows", &ctlpb.DumpFlowsRequest{Bridge: "br0"}, nil) // debug: not kept
	chain(member, "/gvs.v1.Switch/DelBridge", &ctlpb.DelBridgeRequest{Name: "nope"}, status.Error(codes.NotFound, "no bridge nope"))
	chain(stranger, "/gvs.v1.Flows/DumpFlows", &ctlpb.DumpFlowsRequest{Bridge: "br0"}, errors.New("not reached"))

	entries := logs.AllUntimed()
	if len(entries) != 3 {
		t.Fatalf("%d audit lines, want 3: %+v", len(entries), entries)
	}
	for i, want := range []struct {
		level  zapcore.Level
		fields map[string]any
	}{
		{zapcore.InfoLevel, map[string]any{"uid": uint32(1001), "pid": int32(42), "method": "/gvs.v1.Flows/ModFlows", "request": `bridge="br0" flows=[2]`, "result": "ok", "response": "applied=2"}},
		{zapcore.InfoLevel, map[string]any{"uid": uint32(1001), "result": "NotFound", "error": "no bridge nope"}},
		{zapcore.WarnLevel, map[string]any{"uid": uint32(1002), "gid": uint32(99), "method": "/gvs.v1.Flows/DumpFlows", "result": "PermissionDenied"}},
	} {
		e := entries[i]
		if e.Level != want.level || e.Message != "audit" {
			t.Errorf("line %d: %v %q, want %v audit", i, e.Level, e.Message, want.level)
		}
		got := e.ContextMap()
		for k, v := range want.fields {
			if got[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, got[k], v)
			}
		}
	}
}

// fakeStream feeds a streaming handler requests and drops what it sends.
type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	reqs []*ctlpb.ModFlowsRequest
}

func (f *fakeStream) Context() context.Context { return f.ctx }
func (f *fakeStream) SendMsg(any) error        { return nil }
func (f *fakeStream) RecvMsg(m any) error {
	if len(f.reqs) == 0 {
		return io.EOF
	}
	proto.Merge(m.(proto.Message), f.reqs[0])
	f.reqs = f.reqs[1:]
	return nil
}

// TestAuditStream: a streaming call is logged once, when it ends, with
// the lists of all its messages counted (a flow file sent in chunks is
// its total number of flows).
func TestAuditStream(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	au := auditor{log: zap.New(core)}
	ctx := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: peerCreds{uid: 1001, gid: 1234, pid: 42}})
	fs := &fakeStream{ctx: ctx, reqs: []*ctlpb.ModFlowsRequest{
		{Bridge: "br0", Flows: []string{"a", "b", "c"}}, {Flows: []string{"d", "e"}},
	}}
	err := au.stream(nil, fs, &grpc.StreamServerInfo{FullMethod: "/gvs.v1.Flows/ModFlowsStream"}, func(_ any, ss grpc.ServerStream) error {
		for {
			var req ctlpb.ModFlowsRequest
			if err := ss.RecvMsg(&req); err == io.EOF {
				return ss.SendMsg(&ctlpb.ModFlowsResponse{Applied: 5})
			} else if err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	entries := logs.AllUntimed()
	if len(entries) != 1 {
		t.Fatalf("%d audit lines, want 1: %+v", len(entries), entries)
	}
	want := `bridge="br0" flows=[5] messages received=2 sent=1`
	if got := entries[0].ContextMap()["request"]; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}
}
