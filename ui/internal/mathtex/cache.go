package mathtex

import (
	"container/list"
	"image/color"
	"sync"
)

// Cache keeps rendered expressions, most recently used first, up to a
// number of bytes of images. Failures are kept too (they cost a parse each
// time otherwise, on every token of a streaming answer).
type Cache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	order    *list.List // of *entry, most recent at the front
	index    map[key]*list.Element
}

type key struct {
	expr    string
	rgba    color.RGBA
	size    float32
	scale   float32
	display bool
}

type entry struct {
	key  key
	math *Math
	err  error
}

// failBytes is what a failure is counted as: its key and error.
const failBytes = 256

// NewCache makes a cache of at most maxBytes of images.
func NewCache(maxBytes int) *Cache {
	return &Cache{maxBytes: maxBytes, order: list.New(), index: map[key]*list.Element{}}
}

// Shared is the cache the app's views use: 32 MB, a few thousand
// expressions of the usual size.
var Shared = NewCache(32 << 20)

func keyOf(expr string, o Options) key {
	var c color.RGBA
	if o.Color != nil {
		r, g, b, a := o.Color.RGBA()
		c = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
	}
	return key{expr: expr, rgba: c, size: o.Size, scale: o.Scale, display: o.Display}
}

// Render is the package's Render, cached. The image returned is shared:
// it must not be changed.
func (c *Cache) Render(expr string, o Options) (*Math, error) {
	k := keyOf(expr, o)
	c.mu.Lock()
	if el, ok := c.index[k]; ok {
		c.order.MoveToFront(el)
		e := el.Value.(*entry)
		c.mu.Unlock()
		return e.math, e.err
	}
	c.mu.Unlock()
	if len(expr) > MaxBytes {
		return nil, ErrTooLong // not kept: the key would hold the whole text
	}
	m, err := Render(expr, o)
	c.add(&entry{key: k, math: m, err: err})
	return m, err
}

func (e *entry) bytes() int {
	n := failBytes + len(e.key.expr)
	if e.math != nil {
		n += e.math.Bytes()
	}
	return n
}

func (c *Cache) add(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[e.key]; ok {
		return // rendered twice at once: keep the first
	}
	if e.bytes() > c.maxBytes {
		return
	}
	c.index[e.key] = c.order.PushFront(e)
	c.bytes += e.bytes()
	for c.bytes > c.maxBytes {
		last := c.order.Back()
		old := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.index, old.key)
		c.bytes -= old.bytes()
	}
}

// Len is the number of expressions kept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Bytes is the memory the kept images hold, about.
func (c *Cache) Bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
