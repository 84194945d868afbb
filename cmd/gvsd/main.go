// Command gvsd is the gvs switch daemon. With no arguments it runs with the
// embedded default configuration; `gvsd replay` runs a configuration
// offline over pcap files.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "gvsd:", err)
		os.Exit(1)
	}
}
