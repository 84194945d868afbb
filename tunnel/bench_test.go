package tunnel

import (
	"testing"
)

func benchEncap(b *testing.B, c *Config) {
	inner := mustHex(b, goldenInner)
	hl := c.HeaderLen()
	buf := make([]byte, hl+len(inner))
	copy(buf[hl:], inner)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Encap(buf, hl, c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pps")
}

func benchDecap(b *testing.B, c *Config) {
	frame := encapFor(b, c, mustHex(b, goldenInner))
	var md Metadata
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Decap(frame, DefaultPorts, &md); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pps")
}

func BenchmarkEncapVXLAN(b *testing.B) { benchEncap(b, &goldens[0].cfg) }
func BenchmarkDecapVXLAN(b *testing.B) { benchDecap(b, &goldens[0].cfg) }
func BenchmarkEncapGRE(b *testing.B)   { benchEncap(b, &goldens[1].cfg) }
func BenchmarkDecapGRE(b *testing.B)   { benchDecap(b, &goldens[1].cfg) }
