package ctl

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// auditor logs every call of the control API once, when it ends: the
// method, the caller (uid, gid and pid from the socket's peer
// credentials), a short summary of the request (scalar fields, and only
// the length of lists: a flow file is "flows=[100000]", never its lines),
// the result (ok, or the status code and message) and the duration.
//
// Calls that change something — and every refused call, whatever its
// method — are logged at info level (refused ones at warn), so the
// default log is an audit trail; read-only calls (dumps, lists, show,
// trace, capture, health, reflection) at debug level. A method counts as
// read-only only by name (readOnly), so a new method is audited unless it
// is declared read-only.
//
// It is the outermost interceptor: it sees the authorizer's refusals.
type auditor struct{ log *zap.Logger }

// readOnlyPrefixes are the method names (after the service) of calls that
// change nothing.
var readOnlyPrefixes = []string{"Dump", "List", "Show", "Get", "Trace", "Drops", "FDBShow", "Capture", "Check", "Watch", "Diff"}

// readOnly reports whether the full method name (/pkg.Service/Method) is
// a call that changes nothing.
func readOnly(fullMethod string) bool {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if strings.HasPrefix(service, "grpc.") { // health, reflection
		return true
	}
	method = strings.TrimPrefix(method, "Stream") // StreamDumpFlows is a dump
	for _, p := range readOnlyPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

func (a auditor) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	a.record(ctx, info.FullMethod, summarize(req), summarize(resp), err, time.Since(start))
	return resp, err
}

func (a auditor) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	as := &auditedStream{ServerStream: ss}
	err := h(srv, as)
	a.record(ss.Context(), info.FullMethod, as.summary(), "", err, time.Since(start))
	return err
}

// record writes the audit line of one call.
func (a auditor) record(ctx context.Context, method, req, resp string, err error, took time.Duration) {
	code := status.Code(err)
	level := zapcore.InfoLevel
	switch {
	case code == codes.PermissionDenied || code == codes.Unauthenticated:
		level = zapcore.WarnLevel
	case readOnly(method):
		level = zapcore.DebugLevel
	}
	ce := a.log.Check(level, "audit")
	if ce == nil {
		return
	}
	fields := append(caller(ctx), zap.String("method", method), zap.String("request", req))
	if err == nil {
		fields = append(fields, zap.String("result", "ok"))
		if resp != "" {
			fields = append(fields, zap.String("response", resp))
		}
	} else {
		fields = append(fields, zap.String("result", code.String()), zap.String("error", status.Convert(err).Message()))
	}
	ce.Write(append(fields, zap.Duration("duration", took))...)
}

// caller describes the peer of a call from its socket credentials.
func caller(ctx context.Context) []zap.Field {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return []zap.Field{zap.String("caller", "unknown")}
	}
	c, ok := p.AuthInfo.(peerCreds)
	if !ok {
		return []zap.Field{zap.String("caller", "unknown")}
	}
	return []zap.Field{zap.Uint32("uid", c.uid), zap.Uint32("gid", c.gid), zap.Int32("pid", c.pid)}
}

// auditedStream counts the messages a streaming call receives and sends
// and keeps the summary of the first one received (the request of a
// server-streaming call) with the list lengths of all of them added up.
type auditedStream struct {
	grpc.ServerStream
	mu         sync.Mutex
	first      proto.Message
	recv, sent int
	lists      map[string]int
}

func (s *auditedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recv++
	if pm, ok := m.(proto.Message); ok {
		if s.first == nil {
			s.first = proto.Clone(pm)
			// The lists of the first message are counted below, with the rest.
			clearLists(s.first.ProtoReflect())
		}
		s.addLists(pm.ProtoReflect())
	}
	return nil
}

func (s *auditedStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.mu.Lock()
		s.sent++
		s.mu.Unlock()
	}
	return err
}

// addLists adds the lengths of m's top-level lists and maps.
func (s *auditedStream) addLists(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.IsList() || fd.IsMap() {
			if s.lists == nil {
				s.lists = map[string]int{}
			}
			if fd.IsList() {
				s.lists[string(fd.Name())] += v.List().Len()
			} else {
				s.lists[string(fd.Name())] += v.Map().Len()
			}
		}
		return true
	})
}

// clearLists empties m's top-level lists and maps.
func clearLists(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if fd.IsList() || fd.IsMap() {
			m.Clear(fd)
		}
		return true
	})
}

// summary describes the stream's traffic.
func (s *auditedStream) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	if s.first != nil {
		b.WriteString(summarize(s.first))
	}
	for _, name := range sortedKeys(s.lists) {
		sep(&b)
		fmt.Fprintf(&b, "%s=[%d]", name, s.lists[name])
	}
	sep(&b)
	fmt.Fprintf(&b, "messages received=%d sent=%d", s.recv, s.sent)
	return b.String()
}
