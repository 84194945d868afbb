package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
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
// reports whether there were any. Only a's flows are held (as a key and a
// version string each); b's are compared as they are read.
func (c *cli) diffFlows(ctx context.Context, a, b string, w io.Writer) (bool, error) {
	old := map[string]string{}
	err := c.readFlowSource(ctx, a, func(key, version string) error {
		old[key] = version
		return nil
	})
	if err != nil {
		return false, err
	}
	differ := false
	err = c.readFlowSource(ctx, b, func(key, version string) error {
		v, ok := old[key]
		switch {
		case !ok:
			fmt.Fprintf(w, "+%s%s\n", key, version)
			differ = true
		case v != version:
			fmt.Fprintf(w, "-%s%s\n+%s%s\n", key, v, key, version)
			differ = true
		}
		delete(old, key)
		return nil
	})
	if err != nil {
		return false, err
	}
	gone := make([]string, 0, len(old))
	for k := range old {
		gone = append(gone, k)
	}
	sort.Strings(gone)
	for _, k := range gone {
		fmt.Fprintf(w, "-%s%s\n", k, old[k])
		differ = true
	}
	return differ, nil
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
