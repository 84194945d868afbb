// Package ovscompat re-checks, against a live Open vSwitch, the dump
// goldens that flowtable's printer is compared with.
package ovscompat

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gvs-project/gvs/internal/ovstest"
)

var loadProto = regexp.MustCompile(`-O (OpenFlow1[0-9])`)

// loadArgs returns the ovs-ofctl protocol options the file's "# load:"
// header names (none: plain ovs-ofctl add-flows).
func loadArgs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "# load:") {
			if m := loadProto.FindStringSubmatch(l); m != nil {
				return []string{"-O", m[1]}
			}
			return nil
		}
	}
	return nil
}

// dumpLines returns the flows of a dump, sorted, without the reply header.
func dumpLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "NXST_FLOW") || strings.HasPrefix(l, "OFPST_FLOW") {
			continue
		}
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return lines
}

func readGolden(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dumpLines(string(b))
}

// diff lists the lines only one side has.
func diff(golden, live []string) []string {
	var out []string
	n := map[string]int{}
	for _, l := range golden {
		n[l]++
	}
	for _, l := range live {
		if n[l] > 0 {
			n[l]--
			continue
		}
		out = append(out, "+ OVS now: "+l)
	}
	for _, l := range golden {
		if n[l] > 0 {
			n[l]--
			out = append(out, "- golden:  "+l)
		}
	}
	return out
}

// TestDumpGoldens loads every testdata/flows/*.flows file into Open vSwitch
// the way its "# load:" header says, dumps it with and without -O
// OpenFlow13 and compares with the committed .of10.dump/.of13.dump.
func TestDumpGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "flows", "*.flows"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no flow files under testdata/flows: %v", err)
	}
	o := ovstest.Start(t)
	for i, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".flows")
		t.Run(name, func(t *testing.T) {
			br := fmt.Sprintf("gold%d", i)
			if err := o.AddBridge(br, true); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := o.Vsctl("del-br", br); err != nil {
					t.Error(err)
				}
			}()
			abs, err := filepath.Abs(path)
			if err != nil {
				t.Fatal(err)
			}
			proto := loadArgs(t, path)
			if out, err := o.Ofctl(append(slices.Clone(proto), "add-flows", br, abs)...); err != nil {
				t.Fatalf("add-flows: %v\n%s", err, out)
			}
			dumps := []struct {
				suffix string
				args   []string
			}{{"of10", nil}}
			if proto != nil {
				dumps = append(dumps, struct {
					suffix string
					args   []string
				}{"of13", []string{"-O", "OpenFlow13"}})
			}
			for _, d := range dumps {
				golden := filepath.Join(filepath.Dir(path), name+"."+d.suffix+".dump")
				if _, err := os.Stat(golden); err != nil {
					t.Errorf("%s: missing golden %s (regenerate with testdata/flows/regen.sh inside an OVS sandbox)", d.suffix, filepath.Base(golden))
					continue
				}
				out, err := o.Ofctl(append(slices.Clone(d.args), "dump-flows", "--no-stats", br)...)
				if err != nil {
					t.Fatalf("dump-flows: %v", err)
				}
				live := dumpLines(out)
				want := readGolden(t, golden)
				if len(live) == 0 {
					t.Errorf("%s: Open vSwitch dumped no flows", d.suffix)
				}
				if dl := diff(want, live); len(dl) > 0 {
					t.Errorf("%s: %s drifted from Open vSwitch %s (regenerate with testdata/flows/regen.sh inside an OVS sandbox):\n%s",
						d.suffix, filepath.Base(golden), ovsVersion(o), strings.Join(dl, "\n"))
				}
			}
		})
	}
}

func ovsVersion(o *ovstest.OVS) string {
	out, err := o.Vsctl("--version")
	if err != nil {
		return "(unknown version)"
	}
	first, _, _ := strings.Cut(out, "\n")
	return strings.TrimSpace(first)
}
