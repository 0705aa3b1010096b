#!/usr/bin/env python3
"""The references' side of `make bench-compare`: each subcommand times one reference call on the
input the Go helper wrote, in a process of its own, and prints one JSON line with the wall-clock
and CPU seconds of the timed part (time.process_time: every thread of this process).

  heatmap DIR        scipy.ndimage.gaussian_filter(canvas, 150): the reference heatmap's call
                     (float64 canvas, mode="reflect", truncate=4.0, the defaults; the exact
                     1,201-tap kernel); writes ref.npy
  heatmap-cv2 DIR    OpenCV's exact cv2.GaussianBlur with the same kernel (ksize 1201, σ 150,
                     BORDER_REFLECT: scipy's "reflect"), on as many threads as OpenCV takes
                     (OMP_NUM_THREADS / cv2.setNumThreads: 1 per core); writes cv2.npy
  heatmap-dec DIR    the same algorithm as ours in numpy/scipy: decimate by f = 15 with
                     quadratic B-spline weights (scipy.sparse), gaussian_filter on the coarse grid
                     with the σ that makes up the total, interpolate back with the same weights;
                     the canvas first padded by reflection by 4σ (scipy's reach); writes dec.npy
  ttest DIR          scipy.stats.ttest_ind(a, b) and ttest_ind(a, b, equal_var=False) of every
                     pair, one call each, as an analysis script calls them; writes ref_tp.f64
  ttest-vec DIR      the same t-tests vectorised: every pair's means and variances at once
                     (numpy reduceat), t and df by array arithmetic, p = 2·scipy.stats.t.sf(|t|,
                     df) on the arrays: what a numpy user writes for 20,000 tests; writes vec_tp.f64
  export SRC DST     pandas DataFrame.to_csv(index=False) of each table of our export in SRC
                     (EXPORT_TABLES), read exactly (float_precision="round_trip"), into DST;
                     only to_csv is timed

Benchmark code, not product code. Debian's python3-scipy, python3-pandas, python3-numpy.
"""
import json
import os
import sys
import time


def timed(fn, **extra):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    extra.update(wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0)
    print(json.dumps(extra))
    return out


def heatmap(d):
    import numpy as np
    from scipy import ndimage

    canvas = np.load(os.path.join(d, "impulses.npy")).astype(np.float64)  # np.zeros is float64
    ref = timed(lambda: ndimage.gaussian_filter(canvas, 150), sigma=150)
    np.save(os.path.join(d, "ref.npy"), ref.astype(np.float32))


def heatmap_cv2(d):
    import cv2
    import numpy as np

    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads:
        cv2.setNumThreads(threads)
    canvas = np.load(os.path.join(d, "impulses.npy")).astype(np.float64)
    ksize = 2 * int(4 * 150 + 0.5) + 1  # scipy's truncate=4.0: radius 600, 1201 taps
    out = timed(lambda: cv2.GaussianBlur(canvas, (ksize, ksize), 150, sigmaY=150, borderType=cv2.BORDER_REFLECT),
                sigma=150, ksize=ksize, threads=cv2.getNumThreads())
    np.save(os.path.join(d, "cv2.npy"), out.astype(np.float32))


def bspline_spread(n, f):
    """The (coarse × n) matrix spreading each of n samples onto its three nearest coarse samples
    (spacing f, the first centred on sample (f-1)/2) with quadratic B-spline weights; its
    transpose interpolates back with the same weights. One coarse sample of margin each side."""
    import numpy as np
    from scipy import sparse

    i = np.arange(n)
    pos = (i - (f - 1) / 2) / f
    k = np.rint(pos).astype(int)
    u = pos - k
    rows = np.concatenate([k, k + 1, k + 2])  # coarse index + 1 (the margin)
    cols = np.concatenate([i, i, i])
    w = np.concatenate([(0.5 - u) ** 2 / 2, 0.75 - u ** 2, (0.5 + u) ** 2 / 2])
    return sparse.csr_matrix((w, (rows, cols)), shape=(k.max() + 3, n))


def heatmap_dec(d):
    import numpy as np
    from scipy import ndimage

    sigma, f = 150.0, 15
    canvas = np.load(os.path.join(d, "impulses.npy")).astype(np.float64)

    def blur():
        pad = int(4 * sigma + 0.5)
        big = np.pad(canvas, pad, mode="symmetric")  # numpy's "symmetric" is scipy's "reflect"
        sy, sx = bspline_spread(big.shape[0], f), bspline_spread(big.shape[1], f)
        coarse = (sx @ (sy @ big).T).T
        # Spreading and interpolating each add the B-spline's variance f²/4: the coarse blur
        # makes up the rest.
        coarse = ndimage.gaussian_filter(coarse, np.sqrt(sigma ** 2 - f ** 2 / 2) / f, mode="constant")
        fine = (sx.T @ (sy.T @ coarse).T).T / (f * f)  # a coarse sample holds f² pixels' mass
        return fine[pad:pad + canvas.shape[0], pad:pad + canvas.shape[1]]

    out = timed(blur, sigma=sigma, factor=f)
    np.save(os.path.join(d, "dec.npy"), out.astype(np.float32))


def ttest_vec(d):
    import numpy as np
    from scipy import stats

    vals = np.fromfile(os.path.join(d, "values.f64"), dtype="<f8")
    offs = np.fromfile(os.path.join(d, "offsets.i64"), dtype="<i8")
    pairs = (len(offs) - 1) // 2

    def run():
        n = np.diff(offs).astype(np.float64)
        s1 = np.add.reduceat(vals, offs[:-1])
        mean = s1 / n
        dev = vals - np.repeat(mean, np.diff(offs))
        var = np.add.reduceat(dev * dev, offs[:-1]) / (n - 1)  # two passes, as scipy's var
        na, nb, ma, mb, va, vb = n[0::2], n[1::2], mean[0::2], mean[1::2], var[0::2], var[1::2]
        out = np.empty(4 * pairs)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = na + nb - 2  # Student: pooled variance
            sp = ((na - 1) * va + (nb - 1) * vb) / df
            t = (ma - mb) / np.sqrt(sp * (1 / na + 1 / nb))
            out[0::4], out[1::4] = t, 2 * stats.t.sf(np.abs(t), df)
            qa, qb = va / na, vb / nb  # Welch: Welch–Satterthwaite df
            t = (ma - mb) / np.sqrt(qa + qb)
            df = (qa + qb) ** 2 / (qa ** 2 / (na - 1) + qb ** 2 / (nb - 1))
            out[2::4], out[3::4] = t, 2 * stats.t.sf(np.abs(t), df)
        return out

    timed(run, pairs=pairs).astype("<f8").tofile(os.path.join(d, "vec_tp.f64"))


def ttest(d):
    import numpy as np
    from scipy import stats

    vals = np.fromfile(os.path.join(d, "values.f64"), dtype="<f8")
    offs = np.fromfile(os.path.join(d, "offsets.i64"), dtype="<i8")
    pairs = (len(offs) - 1) // 2
    groups = [(vals[offs[2 * i]:offs[2 * i + 1]], vals[offs[2 * i + 1]:offs[2 * i + 2]]) for i in range(pairs)]

    def run():
        out = np.empty(4 * pairs)
        for i, (a, b) in enumerate(groups):
            s = stats.ttest_ind(a, b)
            w = stats.ttest_ind(a, b, equal_var=False)
            out[4 * i:4 * i + 4] = s.statistic, s.pvalue, w.statistic, w.pvalue
        return out

    timed(run, pairs=pairs).astype("<f8").tofile(os.path.join(d, "ref_tp.f64"))


# The export's tables that pandas writes back byte for byte once read exactly: every one but
# audio.csv and master_sheet.csv (read_csv turns their "true" into True, and the like: a matter
# of type inference on reading, not of writing; 0.03% of the export's bytes).
EXPORT_TABLES = ["eye_gaze.csv", "fixations.csv", "fixations_idt.csv", "fixations_ivt.csv", "events.csv",
                 "filters.csv", "quality.csv", "screens.csv", "sessions.csv", "bounding_boxes.csv",
                 "calibration_checks.csv"]


def export(src, dst):
    import pandas as pd

    # Read exactly (shortest round-trip floats), untimed: the comparison is to_csv alone, of the
    # same tables our export writes.
    os.makedirs(dst, exist_ok=True)
    frames = {name: pd.read_csv(os.path.join(src, name), float_precision="round_trip",
                                keep_default_na=False, na_values=[""]) for name in EXPORT_TABLES}

    def write():
        for name, df in frames.items():
            df.to_csv(os.path.join(dst, name), index=False)

    timed(write, rows=sum(len(df) for df in frames.values()), pandas=pd.__version__)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"heatmap": heatmap, "heatmap-cv2": heatmap_cv2, "heatmap-dec": heatmap_dec, "ttest": ttest,
     "ttest-vec": ttest_vec, "export": export}[cmd](*args)
