package audio

import (
	"testing"
	"time"
)

// TestLevelNotStale: the meter reads MinDB before any audio and once audio stops coming (a
// lost or stalled device), not full scale (Level's zero value) nor the last level heard.
func TestLevelNotStale(t *testing.T) {
	var now time.Duration
	c := &Capture{clock: func() time.Duration { return now }, levelAt: -1}
	if lv := c.Level(); lv.RMS != MinDB || lv.Peak != MinDB {
		t.Errorf("before any audio: %+v, want MinDB", lv)
	}
	c.level, c.levelAt = Level{RMS: -20, Peak: -10}, 0
	now = 500 * time.Millisecond
	if lv := c.Level(); lv.RMS != -20 {
		t.Errorf("half a second after a block: %+v, want its level", lv)
	}
	now = levelStale + time.Millisecond
	if lv := c.Level(); lv.RMS != MinDB || lv.Peak != MinDB {
		t.Errorf("%v after the last block: %+v, want MinDB", now, lv)
	}
}
