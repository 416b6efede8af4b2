package mathtex

import (
	"image/color"
	"testing"
)

func TestCacheKeysOnColourSizeAndScale(t *testing.T) {
	c := NewCache(8 << 20)
	o := Options{Size: 14, Scale: 1, Color: red}
	a, _ := c.Render(`x^2`, o)
	if b, _ := c.Render(`x^2`, o); b != a {
		t.Error("a second render of the same math was not the cached one")
	}
	dark := o
	dark.Color = color.NRGBA{230, 230, 230, 255}
	b, _ := c.Render(`x^2`, dark)
	if b == a || inked(t, b.Image, dark.Color.(color.NRGBA)) == 0 {
		t.Error("another colour gave the cached image")
	}
	big := o
	big.Scale = 2
	if m, _ := c.Render(`x^2`, big); m == a || m.Image.Bounds().Dx() <= a.Image.Bounds().Dx() {
		t.Error("another scale gave the cached image")
	}
	if _, err := c.Render(`\nope`, o); err == nil {
		t.Fatal("an unknown macro rendered")
	}
	if n := c.Len(); n != 4 {
		t.Errorf("%d entries, want 4 (failures are kept)", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	one, _ := Render(`x`, Options{Size: 14, Scale: 1, Color: red})
	c := NewCache(20 * (one.Bytes() + failBytes + 8))
	for i := 0; i < 500; i++ {
		_, _ = c.Render(`x`, Options{Size: 14, Scale: 1, Color: color.NRGBA{uint8(i), uint8(i >> 8), 0, 255}})
	}
	if c.Bytes() > 20*(one.Bytes()+failBytes+8) || c.Len() > 20 {
		t.Errorf("%d entries of %d bytes kept, past the bound", c.Len(), c.Bytes())
	}
	if c.Len() < 10 {
		t.Errorf("only %d entries kept", c.Len())
	}
	// An expression over the limit is not kept (its key would be the text).
	long := make([]byte, MaxBytes+1)
	for i := range long {
		long[i] = 'x'
	}
	n := c.Len()
	if _, err := c.Render(string(long), Options{Size: 14}); err != ErrTooLong || c.Len() != n {
		t.Errorf("an expression over the limit: %v, %d entries (was %d)", err, c.Len(), n)
	}
}
