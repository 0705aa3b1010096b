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

static char first[512], plain[512], card[512];
static int held, heldPlain, heldCard;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

// libasound's snd_lib_error_handler_t. It runs on whichever thread met the error. It keeps the
// first message, the first with no unexpanded configuration variable in it ("cannot find card
// '$CARD'" says less than "cannot find card '0'"), and the first plain one about a card (the
// usual reason, buried under lines such as "function snd_func_card_inum returned error").
static void keep(const char *file, int line, const char *function, int err, const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mu);
	if (!held) {
		snprintf(first, sizeof first, "%s", msg);
		held = 1;
	}
	if (strchr(msg, '$') == NULL) {
		if (!heldPlain) {
			snprintf(plain, sizeof plain, "%s", msg);
			heldPlain = 1;
		}
		if (!heldCard && strstr(msg, "cannot find card") != NULL) {
			snprintf(card, sizeof card, "%s", msg);
			heldCard = 1;
		}
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
		snprintf(out, n, "%s", heldCard ? card : heldPlain ? plain : first);
	}
	held = heldPlain = heldCard = 0;
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

// Take returns the most telling message libasound reported since the last Take and forgets
// them all: the first "cannot find card" one, else the first without an unexpanded
// "$VARIABLE", else the first; "" when it reported none.
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
