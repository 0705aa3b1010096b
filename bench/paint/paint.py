#!/usr/bin/env python3
"""The paint itself: from the space key to the first frame on the X server that shows the next
case's image. Run by bench/paint/run.sh with the station up on DISPLAY, reading the demo.

For each press: wait until the stage is still, take a 256x256 patch at its centre (always inside
the image: the image is centred on the stage), send space through XTest and sync, then read the
patch back as fast as the server answers (GetImage) until it has changed and stayed the same for
0.5 s. The latency is the time to the first read that equals that final patch: the first frame
on screen showing the new image. (The cursor is not in GetImage's pixels.)

usage: paint.py PRESSES        prints one line per press, then a JSON summary
Benchmark code. Debian: python3-xlib.
"""
import hashlib
import json
import statistics
import sys
import time

from Xlib import X, XK, display
from Xlib.ext import xtest

CX, CY, S = 960 - 128, 540 - 128, 256


def patch(d, root):
    img = root.get_image(CX, CY, S, S, X.ZPixmap, 0xFFFFFFFF)
    return hashlib.blake2b(img.data, digest_size=16).digest()


def still(d, root, quiet=0.3, timeout=30):
    """Waits until the patch has not changed for quiet seconds; returns it."""
    end = time.monotonic() + timeout
    last, since = patch(d, root), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.02)
        p = patch(d, root)
        if p != last:
            last, since = p, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return last
    raise SystemExit("paint: the stage never settled")


def press(d, root, key):
    before = still(d, root)
    seen = []  # (seconds after the key, patch)
    t0 = time.perf_counter()
    xtest.fake_input(d, X.KeyPress, key)
    xtest.fake_input(d, X.KeyRelease, key)
    d.sync()
    changed_at, last, since = None, before, None
    while True:
        p = patch(d, root)
        t = time.perf_counter() - t0
        seen.append((t, p))
        if p != last:
            last, since = p, t
            changed_at = changed_at if changed_at is not None else t
        elif changed_at is not None and t - since >= 0.5:
            break
        if t > 15:
            return None, None
    shown = next(t for t, p in seen if p == last)
    return changed_at, shown


def main():
    n = int(sys.argv[1])
    d = display.Display()
    root = d.screen().root
    key = d.keysym_to_keycode(XK.string_to_keysym("space"))
    first, shown = [], []
    for i in range(n):
        c, s = press(d, root, key)
        if s is None:
            print(f"press {i + 1}: no new image within 15 s")
            continue
        first.append(c * 1000)
        shown.append(s * 1000)
        print(f"press {i + 1}: first change {c * 1000:.1f} ms, new image shown {s * 1000:.1f} ms")
    if not shown:
        raise SystemExit("paint: no press changed the image")
    q = sorted(shown)
    res = {"presses": len(shown), "shown_ms_median": statistics.median(q),
           "shown_ms_p90": q[min(len(q) - 1, int(0.9 * len(q)))], "shown_ms_max": q[-1],
           "first_change_ms_median": statistics.median(first)}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
