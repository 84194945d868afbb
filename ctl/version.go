package ctl

import "github.com/gvs-project/gvs/internal/version"

// Version (the gvs_build_info metric, gvsd's start line) comes from the
// build (internal/version) unless a linker flag set it already.
func init() {
	if Version == "dev" {
		Version = version.String()
	}
}
