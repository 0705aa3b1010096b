#!/usr/bin/env python3
"""Reference for the prepare benchmark: the original EGD-CXR style pipeline in Python.

One process, one file after the other, as the original scripts ran (or, with --jobs N, a
multiprocessing.Pool of N processes, the way a user would spread it over the cores): pydicom reads the DICOM,
numpy applies the Modality LUT (rescale), the first VOI window (linear, PS3.3 C.11.2.1.2; min-max
when the file has none) and the MONOCHROME1 inversion to 8 bits, OpenCV resizes the image to fit
the 1920x1080 stage (INTER_AREA, aspect kept, odd pixel of padding to the bottom/right), pads it
black and writes the PNG; the pads go to a CSV. Debian packages: python3-pydicom python3-numpy
python3-opencv (python3-pil for pydicom's JPEG baseline handler).

Usage: reference.py WORKLIST DICOM_ROOT OUT [--jobs N]
Prints, last, one JSON line: the wall-clock and CPU seconds of the work (after the imports; CPU
is this process's, every thread of it, so it covers the work only without --jobs).
Benchmark code, not product code: sightline prepare is the product.
"""
import csv
import json
import multiprocessing
import os
import sys
import time

import cv2
import numpy as np
import pydicom

W, H = 1920, 1080


def fit(w, h):
    """Pads (top, bottom, left, right) of a w x h image on the stage, as reader/stage.Fit."""
    dw, dh = W, H
    if w * H > h * W:
        dh = (h * W + w // 2) // w
    else:
        dw = (w * H + h // 2) // h
    dw, dh = max(dw, 1), max(dh, 1)
    left = (W - dw) // 2
    top = (H - dh) // 2
    return top, H - dh - top, left, W - dw - left


def first(v):
    return float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)


def display(ds):
    x = ds.pixel_array.astype(np.float32)
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    x = x * slope + intercept
    if "WindowCenter" in ds and "WindowWidth" in ds and first(ds.WindowWidth) >= 1:
        c, w = first(ds.WindowCenter), first(ds.WindowWidth)
        y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
    else:
        lo, hi = float(x.min()), float(x.max())
        y = (x - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(x)
    y = np.clip(np.rint(y), 0, 255).astype(np.uint8)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 255 - y
    return y


def one(job):
    root, out, r = job
    ds = pydicom.dcmread(os.path.join(root, r["path"]))
    img = display(ds)
    h, w = img.shape
    top, bottom, left, right = fit(w, h)
    small = cv2.resize(img, (W - left - right, H - top - bottom), interpolation=cv2.INTER_AREA)
    stage = cv2.copyMakeBorder(small, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    cv2.imwrite(os.path.join(out, "display", r["dicom_id"] + ".png"), stage)
    return [r["dicom_id"], top, bottom, left, right]


def main():
    worklist, root, out = sys.argv[1:4]
    jobs = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--jobs" else 0
    # One thread per process: OpenCV would otherwise start a pool of its own in each.
    cv2.setNumThreads(1)
    t0, c0 = time.perf_counter(), time.process_time()
    os.makedirs(os.path.join(out, "display"), exist_ok=True)
    with open(worklist, newline="") as f:
        rows = list(csv.DictReader(f))
    work = [(root, out, r) for r in rows]
    if jobs > 0:
        with multiprocessing.Pool(jobs) as pool:
            pads = pool.map(one, work, chunksize=1)
    else:
        pads = [one(j) for j in work]
    with open(os.path.join(out, "pads.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["dicom_id", "image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad"])
        w.writerows(pads)
    print(f"{len(rows)} images")
    print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "jobs": jobs}))


if __name__ == "__main__":
    main()
