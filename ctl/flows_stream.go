package ctl

import (
	"errors"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/vswitch"
)

// chunkBytes is about how much flow text one streamed message carries:
// well under gRPC's 4 MiB message limit (a dump message also holds each
// flow's match and actions once more), large enough that a million flows
// take a few hundred messages.
const chunkBytes = 512 << 10

// streamLines reads the flows of a client stream as one flow file: each
// entry of each chunk is a line, so line numbers in parse errors count
// over the whole stream. It holds one chunk at a time.
type streamLines struct {
	next func() ([]string, error) // the next chunk's flows; io.EOF at the end
	buf  []byte
	off  int
	err  error // the stream's failure (not io.EOF), reported instead of the parse error it causes
}

func (r *streamLines) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		lines, err := r.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.err = err
			}
			return 0, err
		}
		r.buf, r.off = linesChunk(r.buf[:0], lines), 0
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fail is the status for err, a failure of the core while it read r: the
// stream's own failure if that caused it.
func (r *streamLines) fail(err error) error {
	if r.err != nil {
		if _, ok := status.FromError(r.err); ok {
			return r.err
		}
		return status.Errorf(codes.Canceled, "reading the flows: %v", r.err)
	}
	return grpcError(err)
}

// StreamModFlows applies the flow-mods of a stream of chunks in one
// all-or-nothing transaction once the client has sent them all.
func (s *Server) StreamModFlows(st ctlpb.Flows_StreamModFlowsServer) error {
	first, err := recvFirst(st.Recv)
	if err != nil {
		return err
	}
	cmd, err := vswitch.ParseCommand(first.Command, first.Strict)
	if err != nil {
		return grpcError(err)
	}
	r := &streamLines{next: func() ([]string, error) {
		m, err := st.Recv()
		if err != nil {
			return nil, err
		}
		if (m.Bridge != "" && m.Bridge != first.Bridge) || (m.Command != "" && m.Command != first.Command) || m.Strict != first.Strict && m.Strict {
			return nil, invalid("a later chunk names bridge %q, command %q, strict %v; the first named %q, %q, %v",
				m.Bridge, m.Command, m.Strict, first.Bridge, first.Command, first.Strict)
		}
		return m.Flows, nil
	}}
	r.buf = linesChunk(r.buf, first.Flows)
	n, err := s.sw.ModFlowsFrom(first.Bridge, cmd, r)
	if err != nil {
		return r.fail(err)
	}
	return st.SendAndClose(&ctlpb.ModFlowsResponse{Applied: uint32(n)})
}

// StreamReplaceFlows replaces a bridge's flows with those of a stream of
// chunks: all are parsed and validated, then swapped in at once.
func (s *Server) StreamReplaceFlows(st ctlpb.Flows_StreamReplaceFlowsServer) error {
	first, err := recvFirst(st.Recv)
	if err != nil {
		return err
	}
	r := &streamLines{next: func() ([]string, error) {
		m, err := st.Recv()
		if err != nil {
			return nil, err
		}
		if m.Bridge != "" && m.Bridge != first.Bridge {
			return nil, invalid("a later chunk names bridge %q; the first named %q", m.Bridge, first.Bridge)
		}
		return m.Flows, nil
	}}
	r.buf = linesChunk(r.buf, first.Flows)
	n, err := s.sw.ReplaceFlowsFrom(first.Bridge, r)
	if err != nil {
		return r.fail(err)
	}
	return st.SendAndClose(&ctlpb.ReplaceFlowsResponse{Flows: uint32(n)})
}

// linesChunk appends lines to buf, each ended by a newline.
func linesChunk(buf []byte, lines []string) []byte {
	for _, l := range lines {
		buf = append(append(buf, l...), '\n')
	}
	return buf
}

// recvFirst receives the first message of a client stream, which names
// the bridge: a stream without one is invalid.
func recvFirst[T any](recv func() (*T, error)) (*T, error) {
	first, err := recv()
	if errors.Is(err, io.EOF) {
		return nil, invalid("empty stream: the first message names the bridge")
	}
	return first, err
}
