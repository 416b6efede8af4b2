package mathtex

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkMath reports math_render_ms_p95, the 95th percentile of drawing
// one of 50 typical expressions (inline and display, uncached, at scale 2)
// and math_cache_hit_ms, the mean cost of finding one in the cache, beside
// the floor math_plain_x_ms: drawing the single letter x.
func BenchmarkMath(b *testing.B) {
	o := Options{Size: 14, Scale: 2, Color: red}
	if _, err := Render(`x`, o); err != nil { // fonts parsed, faces warmed
		b.Fatal(err)
	}
	var took []time.Duration
	var plain, hit time.Duration
	hits := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := Render(`x`, o); err != nil {
			b.Fatal(err)
		}
		plain += time.Since(t0)
		c := NewCache(32 << 20)
		for _, display := range []bool{false, true} {
			o.Display = display
			for _, e := range typical {
				t0 := time.Now()
				if _, err := c.Render(e, o); err != nil {
					b.Fatalf("%q: %v", e, err)
				}
				took = append(took, time.Since(t0))
			}
		}
		t0 = time.Now()
		for k := 0; k < 20; k++ {
			for _, e := range typical {
				if m, _ := c.Render(e, o); m == nil {
					b.Fatalf("%q was not cached", e)
				}
				hits++
			}
		}
		hit += time.Since(t0)
	}
	slices.Sort(took)
	p95 := took[(len(took)*95+99)/100-1]
	b.ReportMetric(ms(p95), "math_render_ms_p95@ms")
	b.ReportMetric(ms(hit)/float64(hits), "math_cache_hit_ms@ms")
	b.ReportMetric(ms(plain)/float64(b.N), "math_plain_x_ms@ms")
	if ms(p95) > 20 {
		b.Errorf("math_render_ms_p95 is %.2f ms, more than 20", ms(p95))
	}
	if h := ms(hit) / float64(hits); h > 0.1 {
		b.Errorf("math_cache_hit_ms is %.4f ms, more than 0.1", h)
	}
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
