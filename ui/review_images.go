package ui

import (
	"image"
	"sync"

	"sightline/reader/stage"
)

// reviewImages decodes the review's case images off the UI goroutine and keeps the few around
// the case on show, so that stepping with N or P shows the next image at once (a DICOM takes
// a second or two to decode and scale).
type reviewImages struct {
	load func(dicomID string) (image.Image, stage.Layout, error)

	mu sync.Mutex
	m  map[string]*caseImage
}

// caseImage is one image being decoded or decoded; done is closed when it is.
type caseImage struct {
	done chan struct{}
	img  image.Image
	l    stage.Layout
	err  error
}

// get starts decoding dicomID's image unless it is decoded or under way, and returns it.
func (c *reviewImages) get(id string) *caseImage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*caseImage{}
	}
	if e, ok := c.m[id]; ok {
		return e
	}
	e := &caseImage{done: make(chan struct{})}
	c.m[id] = e
	go func() {
		defer close(e.done)
		e.img, e.l, e.err = c.load(id)
	}()
	return e
}

// keep forgets every image but those of ids (a decoded image is megabytes).
func (c *reviewImages) keep(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.m {
		found := false
		for _, k := range ids {
			found = found || k == id
		}
		if !found {
			delete(c.m, id)
		}
	}
}

// ready reports whether dicomID's image is decoded (or failed).
func (c *reviewImages) ready(id string) bool {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
