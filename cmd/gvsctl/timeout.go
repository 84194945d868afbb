package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// defaultTimeout bounds every call made without --timeout, except those
// of unboundedVerbs.
const defaultTimeout = 30 * time.Second

// unboundedVerbs run without a deadline unless --timeout is given: a
// capture lasts as long as the operator wants, and these others take time
// in proportion to the size of a flow file or table (a million flows).
var unboundedVerbs = map[string]bool{
	"capture": true, "add-flows": true, "replace-flows": true, "diff-flows": true,
	"dump-flows": true, "dump-conntrack": true,
}

// timeoutFlag is the value of --timeout: a Go duration ("5s", "1m30s") or,
// as ovs-vsctl --timeout=SECS takes it, a number of seconds; 0 = none.
type timeoutFlag struct {
	d   time.Duration
	set bool
}

func (t *timeoutFlag) String() string {
	if !t.set {
		return ""
	}
	return t.d.String()
}

func (t *timeoutFlag) Type() string { return "duration" }

func (t *timeoutFlag) Set(s string) error {
	d, err := parseTimeout(s)
	if err != nil {
		return err
	}
	t.d, t.set = d, true
	return nil
}

// parseTimeout reads "5s" or "5" (seconds, fractions allowed).
func parseTimeout(s string) (time.Duration, error) {
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("want a duration such as 5s or a number of seconds, not %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("want a duration of 0 (none) or more, not %q", s)
	}
	return d, nil
}

// timeoutFor is the deadline of cmd's calls: --timeout if given, else
// none for unboundedVerbs and defaultTimeout for every other verb.
func (t *timeoutFlag) timeoutFor(cmd *cobra.Command) time.Duration {
	switch {
	case t.set:
		return t.d
	case unboundedVerbs[cmd.Name()]:
		return 0
	}
	return defaultTimeout
}

const timeoutHelp = `bound every call to gvsd: a duration (5s, 2m) or seconds (5, as ovs-vsctl --timeout=SECS); 0 = none.
Default 30s, except none for capture, add-flows, replace-flows, diff-flows, dump-flows and dump-conntrack`
