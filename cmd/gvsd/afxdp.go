package main

import (
	"fmt"

	"github.com/gvs-project/gvs/config"
	"github.com/gvs-project/gvs/datapath"
)

func openAFXDP(p config.Port) (datapath.BatchDevice, error) {
	return nil, fmt.Errorf("port %s: type afxdp is not implemented yet (use type=system)", p.Name)
}
