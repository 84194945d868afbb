package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gvs-project/gvs/ctl/ctlpb"
)

// recordCmds are ovs-vsctl's database commands and the verbs that read or
// change one column. Each runs as a transaction of one command (Vsctl);
// "gvsctl -- CMD ... -- CMD ..." runs several as one (runChain).
func (c *cli) recordCmds() []*cobra.Command {
	type spec struct {
		use, short string
		args       cobra.PositionalArgs
		opts       []string // of --if-exists, --may-exist, --columns
	}
	specs := []spec{
		{"list TABLE [RECORD...]", "List records of Bridge, Port or Interface (ovs-vsctl list)", cobra.MinimumNArgs(1), []string{"columns", "if-exists", "format"}},
		{"find TABLE [COLUMN[:KEY]=VALUE...]", "List the records that match (ovs-vsctl find)", cobra.MinimumNArgs(1), []string{"columns", "format"}},
		{"get TABLE RECORD COLUMN[:KEY]...", "Print columns of a record (ovs-vsctl get)", cobra.MinimumNArgs(3), []string{"if-exists"}},
		{"set TABLE RECORD COLUMN[:KEY]=VALUE...", "Change columns of a record (ovs-vsctl set)", cobra.MinimumNArgs(3), []string{"if-exists"}},
		{"clear TABLE RECORD COLUMN...", "Empty columns of a record (ovs-vsctl clear)", cobra.MinimumNArgs(3), []string{"if-exists"}},
		{"remove TABLE RECORD COLUMN KEY|VALUE...", "Remove keys or values from a column (ovs-vsctl remove)", cobra.MinimumNArgs(4), []string{"if-exists"}},
		{"set-fail-mode BRIDGE secure|standalone", "Set a bridge's fail mode", cobra.ExactArgs(2), nil},
		{"get-fail-mode BRIDGE", "Print a bridge's fail mode", cobra.ExactArgs(1), nil},
		{"del-fail-mode BRIDGE", "Return a bridge to the default fail mode (standalone)", cobra.ExactArgs(1), nil},
		{"br-exists BRIDGE", "Exit 0 if the bridge exists, 2 if not", cobra.ExactArgs(1), nil},
		{"port-to-br PORT", "Print the bridge of a port", cobra.ExactArgs(1), nil},
		{"iface-to-br IFACE", "Print the bridge of an interface", cobra.ExactArgs(1), nil},
		{"list-ifaces BRIDGE", "List a bridge's interfaces", cobra.ExactArgs(1), nil},
	}
	var cmds []*cobra.Command
	for _, sp := range specs {
		var ifExists bool
		var columns, format string
		cmd := &cobra.Command{Use: sp.use, Short: sp.short, Args: sp.args, GroupID: "vsctl"}
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			var one []string
			if ifExists {
				one = append(one, "--if-exists")
			}
			if columns != "" {
				one = append(one, "--columns="+columns)
			}
			if format != "" {
				one = append(one, "--format="+format)
			}
			one = append(append(one, cmd.Name()), args...)
			return c.vsctl(cmd, [][]string{one})
		}
		for _, o := range sp.opts {
			switch o {
			case "if-exists":
				cmd.Flags().BoolVar(&ifExists, "if-exists", false, "do nothing (print nothing) if the record or key does not exist")
			case "columns":
				cmd.Flags().StringVar(&columns, "columns", "", "print only these columns (COLUMN,COLUMN...)")
			case "format":
				cmd.Flags().StringVarP(&format, "format", "f", "", "list (default), table or csv")
			}
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// runChain runs "gvsctl [global options] -- CMD ARGS -- CMD ARGS ..." as
// one transaction, as ovs-vsctl does: every command's options (such as
// --if-exists) come after its "--", before its verb.
func (c *cli) runChain(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	var cmds [][]string
	cur := []string{}
	for _, a := range args {
		if a == "--" {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	if len(cmds) == 0 {
		return fmt.Errorf("no command after --")
	}
	// A --format before the first "--" is for every list and find, as
	// ovs-vsctl's global --format.
	if f, _ := cmd.Flags().GetString("format"); f != "" {
		for i, one := range cmds {
			if v := verbOf(one); v == "list" || v == "find" {
				cmds[i] = append([]string{"--format=" + f}, one...)
			}
		}
	}
	return c.vsctl(cmd, cmds)
}

// vsctl sends commands as one Vsctl transaction and prints their outputs;
// an exit status the transaction ends with (br-exists) is gvsctl's.
func (c *cli) vsctl(cmd *cobra.Command, cmds [][]string) error {
	req := &ctlpb.VsctlRequest{}
	for _, args := range cmds {
		if err := c.absPcapArgs(args); err != nil {
			return err
		}
		req.Commands = append(req.Commands, &ctlpb.VsctlCommand{Args: args})
	}
	r, err := c.sw.Vsctl(ctx(cmd), req)
	if err != nil || c.json(r) {
		return err
	}
	if r.ExitStatus != 0 { // as ovs-vsctl: no output, nothing committed
		if c.cancel != nil {
			c.cancel()
		}
		os.Exit(int(r.ExitStatus))
	}
	fmt.Fprint(c.out, strings.Join(r.Outputs, ""))
	return nil
}

// absPcapArgs makes the options:rx= and options:tx= files of commands
// absolute, as absPcapPaths does for add-port.
func (c *cli) absPcapArgs(args []string) error {
	if !c.localPaths {
		return nil
	}
	for i, a := range args {
		for _, k := range []string{"options:rx=", "options:tx="} {
			if v, ok := strings.CutPrefix(a, k); ok && v != "" && !filepath.IsAbs(v) {
				abs, err := filepath.Abs(v)
				if err != nil {
					return err
				}
				args[i] = k + abs
			}
		}
	}
	return nil
}

// chainArgs admits the root command's arguments only after a "--": a
// chain of commands. Anything else is an unknown command.
func chainArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
		return fmt.Errorf("unknown command %q for \"gvsctl\" (run 'gvsctl --help'; several commands in one transaction: gvsctl -- CMD ... -- CMD ...)", args[0])
	}
	return nil
}

// vsctlOptions lets ovs-vsctl's command options come before the verb, as
// in "ovs-vsctl --if-exists del-br br0": the verbs that take them have
// flags of those names, which these only make known before the verb.
func vsctlOptions(root *cobra.Command) {
	root.PersistentFlags().Bool("if-exists", false, "(before a verb that takes it) as the verb's --if-exists")
	root.PersistentFlags().Bool("may-exist", false, "(before a verb that takes it) as the verb's --may-exist")
	root.PersistentFlags().String("columns", "", "(before list or find) as their --columns")
	root.PersistentFlags().StringP("format", "f", "", "(before list or find, or before -- CMD ...) as their --format")
	// gvsd applies every change before it answers: ovs-vsctl's --no-wait
	// (do not wait for ovs-vswitchd) changes nothing.
	root.PersistentFlags().Bool("no-wait", false, "accepted for ovs-vsctl scripts: gvsd answers once a change is applied")
	for _, n := range []string{"if-exists", "may-exist", "columns", "format", "no-wait"} {
		root.PersistentFlags().MarkHidden(n)
	}
}

// verbOf is the verb of a command's arguments: the first that is not an
// option.
func verbOf(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			return a
		}
	}
	return ""
}

// chainable lets cmd start a chain, as "ovs-vsctl add-port br0 p1 -- set
// Interface p1 type=internal" does: given a "--" among its arguments, it
// and the commands after it run as one Vsctl transaction (its own options
// passed on), and only its arguments before the "--" are checked against
// its Args.
func (c *cli) chainable(cmd *cobra.Command) {
	args, run := cmd.Args, cmd.RunE
	cmd.Args = func(cmd *cobra.Command, a []string) error {
		if n := cmd.ArgsLenAtDash(); n >= 0 {
			a = a[:n]
		}
		if args == nil {
			return nil
		}
		return args(cmd, a)
	}
	cmd.RunE = func(cmd *cobra.Command, a []string) error {
		n := cmd.ArgsLenAtDash()
		if n < 0 {
			return run(cmd, a)
		}
		var first []string
		for _, name := range []string{"may-exist", "if-exists", "columns", "format"} {
			if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
				if f.Value.Type() == "bool" {
					first = append(first, "--"+name)
				} else {
					first = append(first, "--"+name+"="+f.Value.String())
				}
			}
		}
		first = append(append(first, cmd.Name()), a[:n]...)
		return c.runChain(cmd, append(append(first, "--"), a[n:]...))
	}
}
