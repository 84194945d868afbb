// Package version says which build of gvs is running. The Makefile sets
// the version from `git describe --always --dirty` with -ldflags -X; a
// plain `go build` in a checkout falls back to the VCS stamp Go embeds
// (vcs.revision, vcs.modified), so a binary built from git never calls
// itself "dev".
package version

import "runtime/debug"

// version is set at link time:
//
//	-ldflags "-X github.com/gvs-project/gvs/internal/version.version=$(git describe --always --dirty)"
var version string

// String returns the build's version: the one set at link time, else the
// VCS revision Go recorded (its first 12 digits, "-dirty" if the tree had
// changes), else "dev" (built outside a checkout, or with -buildvcs=false).
func String() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return fromBuildInfo(bi)
}

// fromBuildInfo derives the version from the build settings Go embeds.
func fromBuildInfo(bi *debug.BuildInfo) string {
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		// A module build (go install ...@v1.2.3) records its version.
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
