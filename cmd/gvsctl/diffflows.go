package main

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
	"github.com/gvs-project/gvs/flowtable"
)

func (c *cli) diffFlowsCmd() *cobra.Command {
	return &cobra.Command{Use: "diff-flows SOURCE1 SOURCE2", Short: "Print the flows in which two bridges or flow files differ (ovs-ofctl diff-flows)",
		Long: `Each SOURCE is a bridge or a flow file (a saved dump-flows too): a name starting
with / or . is a file, anything else a file if one exists by that name, else a bridge.
A flow only in SOURCE1 is printed after '-', one only in SOURCE2 after '+'; a
flow in both with other actions, cookie or timeouts is printed as both. The
exit status is 2 when the sources differ, 0 when they do not.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			w := bufio.NewWriterSize(c.out, 64<<10)
			differ, err := c.diffFlows(ctx(cmd), args[0], args[1], w)
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			if differ {
				os.Exit(2)
			}
			return nil
		}}
}

// diffFlows writes the differences between sources a and b to w and
// reports whether there were any. Of a, only a 128-bit hash of each
// flow's key and its version (shared between flows with the same one) are
// held; b's flows are compared as they are read, and a is read a second
// time for the text of the flows only a has.
func (c *cli) diffFlows(ctx context.Context, a, b string, w io.Writer) (bool, error) {
	old := map[flowHash]string{}
	versions := map[string]string{} // interned: most flows share a few actions
	err := c.readFlowSource(ctx, a, func(key, version string) error {
		v, ok := versions[version]
		if !ok {
			versions[version], v = version, version
		}
		old[hashKey(key)] = v
		return nil
	})
	if err != nil {
		return false, err
	}
	versions = nil
	differ := false
	err = c.readFlowSource(ctx, b, func(key, version string) error {
		h := hashKey(key)
		v, ok := old[h]
		switch {
		case !ok:
			fmt.Fprintf(w, "+%s%s\n", key, version)
			differ = true
		case v != version:
			fmt.Fprintf(w, "-%s%s\n+%s%s\n", key, v, key, version)
			differ = true
		}
		delete(old, h)
		return nil
	})
	if err != nil || len(old) == 0 {
		return differ, err
	}
	// The flows left are only in a: read it again for their text.
	err = c.readFlowSource(ctx, a, func(key, _ string) error {
		h := hashKey(key)
		if v, ok := old[h]; ok {
			fmt.Fprintf(w, "-%s%s\n", key, v)
			delete(old, h)
		}
		return nil
	})
	if err == nil && len(old) > 0 {
		err = fmt.Errorf("%s changed while it was compared: %d of its flows went before they could be printed", a, len(old))
	}
	return true, err
}

// flowHash identifies a flow's key (table, priority, match) in diffFlows.
type flowHash [16]byte

// hashKey is key's 128-bit FNV-1a hash: two keys of a million flows meet
// with a chance of about 1e-27.
func hashKey(key string) flowHash {
	h := fnv.New128a()
	io.WriteString(h, key)
	var out flowHash
	h.Sum(out[:0])
	return out
}

// isFlowFile tells a file source from a bridge as ovs-ofctl does.
func isFlowFile(name string) bool {
	switch {
	case strings.HasPrefix(name, "/"), strings.HasPrefix(name, "."):
		return true
	case strings.Contains(name, ":"):
		return false // a connection in ovs-ofctl: refused by readFlowSource
	}
	_, err := os.Stat(name)
	return err == nil
}

// readFlowSource calls fn with the key (table, priority, match) and the
// version (cookie, timeouts, importance, actions) of every flow of the
// bridge or file name, in diff-flows' spelling.
func (c *cli) readFlowSource(ctx context.Context, name string, fn func(key, version string) error) error {
	if isFlowFile(name) {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := readFlowLines(f, fn); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	bridge := name
	if strings.Contains(name, ":") {
		// ovs-ofctl's OpenFlow connection spellings (unix:PATH, tcp:IP:PORT).
		return fmt.Errorf("%s: gvsctl names a bridge (on --socket) or a flow file, not an OpenFlow connection", name)
	}
	st, err := c.fl.StreamDumpFlows(ctx, &ctlpb.DumpFlowsRequest{Bridge: bridge, NoStats: true, LinesOnly: true})
	if err != nil {
		return err
	}
	return recvEach(st.Recv, func(r *ctlpb.DumpFlowsResponse) error {
		for _, l := range r.Lines {
			if err := diffLine(l, fn); err != nil {
				return fmt.Errorf("bridge %s: %w", bridge, err)
			}
		}
		return nil
	})
}

// readFlowLines parses a flow file as add-flows reads one: blank lines,
// # comments and the reply headers of a saved dump-flows are skipped.
func readFlowLines(r io.Reader, fn func(key, version string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxFlowLine)
	for n := 1; sc.Scan(); n++ {
		l, _, _ := strings.Cut(sc.Text(), "#")
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "NXST_FLOW") || strings.HasPrefix(l, "OFPST_FLOW") {
			continue
		}
		if err := diffLine(l, fn); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

// diffLine parses one flow and hands fn its key and version.
func diffLine(line string, fn func(key, version string) error) error {
	m, err := flowtable.ParseFlowWith(strings.TrimSpace(line), flowtable.CmdAdd, flowtable.ParseOptions{})
	if err != nil {
		return err
	}
	key, version := diffKey(m.Flow)
	return fn(key, version)
}

// diffKey spells a flow as ovs-ofctl diff-flows prints it: "table=N "
// (when not 0), the priority and match; then " cookie=", timeouts and
// importance when set, and " actions=".
func diffKey(f *flowtable.Flow) (key, version string) {
	var k, v strings.Builder
	if f.Table != 0 {
		fmt.Fprintf(&k, "table=%d ", f.Table)
	}
	k.WriteString(flowtable.FormatMatch(&f.Match, f.Priority))
	if f.Cookie != 0 {
		fmt.Fprintf(&v, " cookie=0x%x", f.Cookie)
	}
	if f.IdleTimeout != 0 {
		fmt.Fprintf(&v, " idle_timeout=%d", f.IdleTimeout)
	}
	if f.HardTimeout != 0 {
		fmt.Fprintf(&v, " hard_timeout=%d", f.HardTimeout)
	}
	if f.Importance != 0 {
		fmt.Fprintf(&v, " importance=%d", f.Importance)
	}
	v.WriteString(" actions=")
	v.WriteString(flowtable.FormatActions(f.Actions, flowtable.FormatOptions{}))
	return k.String(), v.String()
}
