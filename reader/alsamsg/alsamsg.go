// Package alsamsg catches libasound's own error messages. Left alone, libasound prints every
// error it meets while a backend probes it ("ALSA lib confmisc.c:855:(parse_card) cannot find
// card '0'", some 35 lines for one failed open on a machine with no sound card) straight to the
// process's stderr, where a reader or a reviewer sees them under a window that works. Catch
// installs a handler in the same libasound that miniaudio loads (dlopen hands back the one
// instance), so those lines are kept here instead, and the first of them can say why an open
// failed, inside our own error.
package alsamsg

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char first[512];
static int held;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

// libasound's snd_lib_error_handler_t. It runs on whichever thread met the error.
static void keep(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	va_list ap;
	pthread_mutex_lock(&mu);
	if (!held) {
		va_start(ap, fmt);
		vsnprintf(first, sizeof first, fmt, ap);
		va_end(ap);
		held = 1;
	}
	pthread_mutex_unlock(&mu);
}

// catch_alsa loads libasound (kept loaded for good: the handler must outlive every user) and
// sets the handler. 0: set; 1: no libasound on this machine; 2: it has no such call.
static int catch_alsa(void) {
	void *h = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (!h) return 1;
	int (*set)(void *) = (int (*)(void *))dlsym(h, "snd_lib_error_set_handler");
	if (!set) return 2;
	set((void *)keep);
	return 0;
}

static int take(char *out, int n) {
	pthread_mutex_lock(&mu);
	int had = held;
	if (held) {
		snprintf(out, n, "%s", first);
		held = 0;
	}
	pthread_mutex_unlock(&mu);
	return had;
}

// say reports a message through the handler, as libasound would (the tests' way in).
static void say(const char *msg) {
	keep(__FILE__, __LINE__, __func__, 0, "%s", msg);
}
*/
import "C"

import (
	"sync"
	"unsafe"
)

var (
	once   sync.Once
	caught bool
)

// Catch makes libasound keep its messages instead of printing them. Safe to call from any
// goroutine, any number of times; it reports whether the handler is in place (false on a
// machine without libasound, where there is nothing to print either).
func Catch() bool {
	once.Do(func() { caught = C.catch_alsa() == 0 })
	return caught
}

// Take returns the first message libasound reported since the last Take (and forgets it), or
// "" when it reported none.
func Take() string {
	buf := make([]byte, 512)
	if C.take((*C.char)(unsafe.Pointer(&buf[0])), C.int(len(buf))) == 0 {
		return ""
	}
	return C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
}

// say puts msg through the handler as libasound would; for the tests.
func say(msg string) {
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	C.say(cs)
}
