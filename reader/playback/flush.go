package playback

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>

typedef void *(*sl_flush_fn)(void *s, void *cb, void *userdata);
typedef void (*sl_unref_fn)(void *op);
typedef void *(*sl_context_fn)(void *s);

static sl_flush_fn sl_flush;
static sl_unref_fn sl_unref;
static sl_context_fn sl_context;

// sl_pulse_stream is the PulseAudio playback stream of a miniaudio device (the pointer at off
// in its ma_device), NULL unless libpulse is loaded and the pointer before it is the stream's
// context (the layout checked, not trusted).
static void *sl_pulse_stream(void *dev, size_t off) {
	if (sl_flush == NULL) {
		void *h = dlopen("libpulse.so.0", RTLD_LAZY | RTLD_NOLOAD);
		if (h == NULL) return NULL;
		sl_flush = (sl_flush_fn)dlsym(h, "pa_stream_flush");
		sl_unref = (sl_unref_fn)dlsym(h, "pa_operation_unref");
		sl_context = (sl_context_fn)dlsym(h, "pa_stream_get_context");
		if (sl_flush == NULL || sl_unref == NULL || sl_context == NULL) {
			sl_flush = NULL;
			return NULL;
		}
	}
	void *ctx = *(void **)((char *)dev + off - sizeof(void *));
	void *s = *(void **)((char *)dev + off);
	if (s == NULL || ctx == NULL || sl_context(s) != ctx) return NULL;
	return s;
}

// sl_pulse_flush drops what the stream holds, in the client and in the server, which rewinds
// the sink to play what is written next at once. It must run on the thread that runs the
// stream's main loop (miniaudio's device thread: the data callback).
static int sl_pulse_flush(void *s) {
	void *op = sl_flush(s, NULL, NULL);
	if (op == NULL) return -1;
	sl_unref(op);
	return 0;
}
*/
import "C"

import (
	"unsafe"

	"github.com/gen2brain/malgo"
)

// streamOffset is where miniaudio (malgo v0.11.24, 64-bit) keeps a device's PulseAudio playback
// stream in its ma_device: pulse.pStreamPlayback, after pMainLoop and pPulseContext.
// TestStreamOffset compiles miniaudio.h to check it; sl_pulse_stream checks the pointer before
// it is the stream's context before using it.
const streamOffset = 3440

// pulseStream is the device's PulseAudio playback stream, nil when it cannot be had (another
// backend, another layout).
func pulseStream(dev *malgo.Device) unsafe.Pointer {
	if dev == nil {
		return nil
	}
	// malgo.Device holds one field, the C device behind a pointer (malgo v0.11.24).
	p := *(**unsafe.Pointer)(unsafe.Pointer(dev))
	if p == nil || *p == nil {
		return nil
	}
	return C.sl_pulse_stream(*p, C.size_t(streamOffset))
}

// flushPulse drops what stream holds (on the device thread only).
func flushPulse(stream unsafe.Pointer) bool {
	return C.sl_pulse_flush(stream) == 0
}
