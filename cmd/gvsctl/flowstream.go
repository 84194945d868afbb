package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"google.golang.org/grpc"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// chunkBytes is about how much flow text gvsctl sends per message: well
// under gRPC's 4 MiB limit, so files of any size go through.
const chunkBytes = 512 << 10

// maxFlowLine is the longest flow line gvsctl reads.
const maxFlowLine = 1 << 20

// streamFlowFile sends the flow file name ("-" = stdin) over a stream
// opened by open, in chunks that chunk builds from lines (each chunk
// names the bridge, so even an empty file says which), and waits for the
// daemon's verdict. Only one chunk is held at a time. If the file cannot
// be read to its end, the call is cancelled, so the daemon applies
// nothing; it applies only after the whole file arrived.
func streamFlowFile[Req, Resp any](parent context.Context, name string,
	open func(context.Context, ...grpc.CallOption) (grpc.ClientStreamingClient[Req, Resp], error),
	chunk func(lines []string) *Req) error {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	st, err := open(ctx)
	if err != nil {
		return err
	}
	err = readFlowChunks(r, func(lines []string) error { return st.Send(chunk(lines)) })
	if errors.Is(err, io.EOF) {
		// The daemon ended the call early (a bad bridge, say): its
		// status says why.
		_, err = st.CloseAndRecv()
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	_, err = st.CloseAndRecv()
	return err
}

// readFlowChunks reads r line by line and calls send with chunks of
// about chunkBytes of lines, and at least once (an empty chunk for an
// empty file). Lines are passed as they are: the daemon skips blank
// lines and comments, so its line numbers are the file's.
func readFlowChunks(r io.Reader, send func([]string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxFlowLine)
	var lines []string
	size, sent, n := 0, false, 0
	for sc.Scan() {
		n++
		lines = append(lines, sc.Text())
		size += len(sc.Bytes()) + 1
		if size >= chunkBytes {
			if err := send(lines); err != nil {
				return err
			}
			// A sent message may still be read by gRPC: new slice.
			lines, size, sent = nil, 0, true
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, maxFlowLine)
		}
		return err
	}
	if len(lines) > 0 || !sent {
		return send(lines)
	}
	return nil
}

// printFlowDump prints a dump-flows reply as it streams in, with the
// ovs-ofctl reply header first when header is set (-o json: each chunk
// as one JSON object).
func (c *cli) printFlowDump(ctx context.Context, req *ctlpb.DumpFlowsRequest, header bool) error {
	req.LinesOnly = c.output != "json"
	st, err := c.fl.StreamDumpFlows(ctx, req)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(c.out, 64<<10)
	started := false
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Flush()
			return err
		}
		if c.json(r) {
			continue
		}
		if !started && header {
			dumpHeader(w, req.Openflow13)
		}
		started = true
		for _, l := range r.Lines {
			w.WriteString(l)
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if !started && header && c.output != "json" {
		dumpHeader(w, req.Openflow13)
	}
	return w.Flush()
}

// printSortedDump is printFlowDump for dump-flows --sort/--rsort: the
// whole dump is held (as OVS does) and printed in keys' order once it has
// arrived.
func (c *cli) printSortedDump(ctx context.Context, req *ctlpb.DumpFlowsRequest, header bool, keys []sortKey) error {
	req.LinesOnly = false // the structured flows carry the sort keys
	st, err := c.fl.StreamDumpFlows(ctx, req)
	if err != nil {
		return err
	}
	var flows []sortedFlow
	err = recvEach(st.Recv, func(r *ctlpb.DumpFlowsResponse) error {
		if len(r.Flows) != len(r.Lines) {
			return fmt.Errorf("gvsd sent %d flows for %d lines", len(r.Flows), len(r.Lines))
		}
		for i, l := range r.Lines {
			sf, err := newSortedFlow(l, r.Flows[i], keys, c.output == "json")
			if err != nil {
				return err
			}
			flows = append(flows, sf)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sortFlows(flows, keys)
	w := bufio.NewWriterSize(c.out, 64<<10)
	if c.output == "json" {
		all := &ctlpb.DumpFlowsResponse{}
		for _, f := range flows {
			all.Lines, all.Flows = append(all.Lines, f.line), append(all.Flows, f.stats)
		}
		c.json(all)
		return nil
	}
	if header {
		dumpHeader(w, req.Openflow13)
	}
	for _, f := range flows {
		w.WriteString(f.line)
		w.WriteByte('\n')
	}
	return w.Flush()
}

// recvEach calls fn with each message recv returns until the stream ends
// (nil) or fails, or fn does (that error).
func recvEach[T any](recv func() (*T, error), fn func(*T) error) error {
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
}

// dumpHeader prints the reply header ovs-ofctl prints when not on a
// terminal.
func dumpHeader(w io.Writer, of13 bool) {
	if of13 {
		fmt.Fprintln(w, "OFPST_FLOW reply (OF1.3) (xid=0x2):")
	} else {
		fmt.Fprintln(w, "NXST_FLOW reply (xid=0x4):")
	}
}
