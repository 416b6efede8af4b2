package engine

import (
	"container/list"
	"fmt"
	"sync"
)

// defaultImageCacheBytes bounds the encoded images kept in memory: about a
// hundred photos as sent (a fitted JPEG is 100–400 KB as a data: URL).
const defaultImageCacheBytes = 48 << 20

// imageCache keeps images as a provider is sent them (oriented, fitted,
// re-encoded, as data: URLs), by the SHA-256 of the file attached, in an
// LRU bounded by bytes. Two requests that need the same image at once
// encode it once. It is safe for concurrent use.
type imageCache struct {
	encode func([]byte) (string, error) // attach.ImageURL; tests count calls

	mu       sync.Mutex
	max      int64
	bytes    int64
	ll       *list.List // front: most recently used
	items    map[string]*list.Element
	inflight map[string]*imageCall
}

type imageEntry struct {
	sha, url string
}

// imageCall is an encoding in progress; done closes when url and err are
// set.
type imageCall struct {
	done chan struct{}
	url  string
	err  error
}

func newImageCache(max int64, encode func([]byte) (string, error)) *imageCache {
	return &imageCache{encode: encode, max: max, ll: list.New(), items: map[string]*list.Element{}, inflight: map[string]*imageCall{}}
}

// url returns the data: URL of the image whose file has the hash sha,
// encoding what load returns when it is not cached. Failures are not
// remembered: the next request tries again.
func (c *imageCache) url(sha string, load func() ([]byte, error)) (string, error) {
	c.mu.Lock()
	if el, ok := c.items[sha]; ok {
		c.ll.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*imageEntry).url, nil
	}
	if call, ok := c.inflight[sha]; ok {
		c.mu.Unlock()
		<-call.done
		return call.url, call.err
	}
	call := &imageCall{done: make(chan struct{})}
	c.inflight[sha] = call
	c.mu.Unlock()

	call.url, call.err = c.make(load)

	c.mu.Lock()
	delete(c.inflight, sha)
	if call.err == nil && int64(len(call.url)) <= c.max {
		c.items[sha] = c.ll.PushFront(&imageEntry{sha, call.url})
		c.bytes += int64(len(call.url))
		for c.bytes > c.max {
			old := c.ll.Back()
			c.ll.Remove(old)
			e := old.Value.(*imageEntry)
			delete(c.items, e.sha)
			c.bytes -= int64(len(e.url))
		}
	}
	c.mu.Unlock()
	close(call.done)
	return call.url, call.err
}

// make loads and encodes an image. A decoder that panics on a hostile
// file fails that image, not the process.
func (c *imageCache) make(load func() ([]byte, error)) (url string, err error) {
	defer func() {
		if r := recover(); r != nil {
			url, err = "", fmt.Errorf("engine: encode image: panic: %v", r)
		}
	}()
	data, err := load()
	if err != nil {
		return "", err
	}
	return c.encode(data)
}
