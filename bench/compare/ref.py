#!/usr/bin/env python3
"""The references' side of `make bench-compare`: each subcommand times one reference call on the
input the Go helper wrote, in a process of its own, and prints one JSON line with the wall-clock
and CPU seconds of the timed part (time.process_time: every thread of this process).

  heatmap DIR        scipy.ndimage.gaussian_filter(canvas, 150): the reference heatmap's call
                     (float64 canvas, mode="reflect", truncate=4.0, the defaults); writes ref.npy
  ttest DIR          scipy.stats.ttest_ind(a, b) and ttest_ind(a, b, equal_var=False) of every
                     pair, one call each, as an analysis script calls them; writes ref_tp.f64
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
    {"heatmap": heatmap, "ttest": ttest, "export": export}[cmd](*args)
