package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape GETs gvsd's metrics page, as curl would.
func scrape(t *testing.T, d *daemon) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + d.metrics + "/metrics")
	if err != nil {
		t.Fatalf("GET metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET metrics: %s\n%s", resp.Status, body)
	}
	return string(body)
}

// scrapeErr GETs the metrics page and discards it (for load, from any
// goroutine).
func scrapeErr(d *daemon) error {
	resp, err := http.Get("http://" + d.metrics + "/metrics")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// checkMetrics scrapes the metrics and checks the value of each series
// (name{labels} as Prometheus prints it).
func checkMetrics(t *testing.T, d *daemon, want map[string]int) {
	t.Helper()
	page := scrape(t, d)
	got := map[string]float64{}
	for _, l := range strings.Split(page, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		got[l[:i]] = v
	}
	for series, n := range want {
		v, ok := got[series]
		if !ok {
			t.Errorf("metrics lack %s", series)
			continue
		}
		if v != float64(n) {
			t.Errorf("%s = %v, want %d", series, v, n)
		}
	}
	for _, name := range []string{"gvs_build_info{", "gvs_flowtable_lookups_total{", "gvs_datapath_drops_total{", "gvs_fdb_entries{"} {
		if !strings.Contains(page, "\n"+name) {
			t.Errorf("metrics lack %s...}", name)
		}
	}
}
