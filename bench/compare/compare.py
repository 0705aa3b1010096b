#!/usr/bin/env python3
"""`make bench-compare`: Sightline against the reference pipelines, side by side, on the same
inputs, in one run (bench/compare/run.sh builds the binaries and generates the inputs first).

Four comparisons, each against its strongest reference (and the reference's usual call where
that is weaker: it says which), each ratio twice:
  per core       ours with GOMAXPROCS=1 (and --jobs 1) against one single-threaded Python
                 process: the ratio of their median CPU seconds (user + system, getrusage), which
                 a loaded machine inflates far less than wall-clock time;
  whole machine  ours on every core against the reference parallelised as a user would (a
                 multiprocessing.Pool of nproc for prepare; one process where the reference has
                 no parallel form, said so): the ratio of their median wall-clock seconds.
Each side runs ROUNDS times (SCIPY_ROUNDS for the slow scipy blur), the sides interleaved round
by round, and the load average is printed as it goes. The outputs must agree (identical pads and
stage mean |Δ| ≤ 1 grey level and every pixel within MAX_PIXEL grey levels; blur max |Δ| ≤ 1e-3
of the maximum, for ours and for each reference against scipy's exact blur; eye_gaze.csv
byte-identical to pandas' to_csv of it; |Δp| and relative |Δt| ≤ 1e-12), or the run exits 1. It
ends with one line per comparison and reference:
  COMPARE prepare ref=pydicom+numpy+cv2.resize(INTER_AREA) per-core 2.31x whole-machine 3.90x agree=yes

usage: compare.py WORK HELPER SIGHTLINE [prepare heatmap export ttest]
Environment: ROUNDS (5), SCIPY_ROUNDS (3). Benchmark code, not product code.
"""
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's, where the python3-* references are
NPROC = os.cpu_count() or 1
ROUNDS = int(os.environ.get("ROUNDS", "5"))
SCIPY_ROUNDS = int(os.environ.get("SCIPY_ROUNDS", "3"))
# The largest difference of one stage pixel prepare may show against the reference: the resampling
# filters differ (area-widened Catmull-Rom against OpenCV's INTER_AREA), most at sharp edges.
MAX_PIXEL = int(os.environ.get("MAX_PIXEL", "24"))  # 19 measured on the 13 sources (2026-12-07)
ONE_THREAD = {"GOMAXPROCS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


class Side:
    """One side of a comparison: a command run once per round. The timed part is the JSON line the
    command prints (wall_s, cpu_s), or, with whole=True, the whole process (wait4's rusage)."""

    def __init__(self, name, cmd, env=None, whole=False, rounds=None, before=None, children=False):
        self.name, self.cmd, self.env, self.whole = name, cmd, env or {}, whole
        self.children = children  # CPU from wait4 (a Pool's workers included), wall from the JSON
        self.rounds = rounds or ROUNDS
        self.before = before  # called before each run (clears the output folder)
        self.wall, self.cpu, self.rss = [], [], []

    def run(self, work):
        if self.before:
            self.before()
        env = dict(os.environ, **self.env)
        log = os.path.join(work, "logs", "".join(c if c.isalnum() or c in "-.=" else "_" for c in self.name) + ".log")
        # Peak RSS from /usr/bin/time: a child's own rusage counts the RSS its parent had when it
        # forked (this script holds the heatmap arrays); time's is a few MB.
        rssf = os.path.join(work, "logs", "rss.txt")
        with open(log, "w") as f:
            t0 = time.perf_counter()
            p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rssf] + self.cmd,
                                 stdout=subprocess.PIPE, stderr=f, env=env, text=True)
            out = p.stdout.read()
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            f.write(out)
        if p.returncode != 0:
            sys.exit(f"bench-compare: {self.name} failed (exit {p.returncode}); see {log}:\n"
                     + "".join(open(log).readlines()[-15:]))
        if self.whole:
            self.wall.append(wall)
            self.cpu.append(ru.ru_utime + ru.ru_stime)
        else:
            res = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
            calls = res.get("calls", 1)  # the timed part made this many calls: per call
            res["wall_s"], res["cpu_s"] = res["wall_s"] / calls, res["cpu_s"] / calls
            self.wall.append(res["wall_s"])
            self.cpu.append(ru.ru_utime + ru.ru_stime if self.children else res["cpu_s"])
        self.rss.append(int(open(rssf).read().split()[-1]) / 1024)  # KB: the largest process

    def median(self, what):
        return statistics.median(getattr(self, what))


def race(title, work, sides):
    """Runs the sides interleaved, round by round; prints a table of their medians."""
    print(f"\n== {title}: load average before {load()}", flush=True)
    for r in range(max(s.rounds for s in sides)):
        for s in sides:
            if r < s.rounds:
                s.run(work)
        print(f"   round {r + 1} (wall/CPU s): " + ", ".join(f"{s.name} {s.wall[-1]:.3f}/{s.cpu[-1]:.3f}" for s in sides if r < s.rounds)
              + f"  (load average {load()})", flush=True)
    print(f"   {'side':<44} {'runs':>4} {'wall s (median)':>16} {'CPU s (median)':>15} {'peak RSS MB':>12}")
    for s in sides:
        print(f"   {s.name:<44} {len(s.wall):>4} {s.median('wall'):>16.3f} {s.median('cpu'):>15.3f} {max(s.rss):>12.0f}")


def ratios(ours1, theirs1, ours_all, theirs_all):
    return theirs1.median("cpu") / ours1.median("cpu"), theirs_all.median("wall") / ours_all.median("wall")


def fresh(path):
    def clear():
        shutil.rmtree(path, ignore_errors=True)
    return clear


# ---------------------------------------------------------------------------------------------

def prepare(work, sightline):
    import cv2

    d = os.path.join(work, "prepare")
    inp = os.path.join(d, "in")
    n = sum(1 for _ in open(os.path.join(inp, "worklist.csv"))) - 1
    for root, _, files in os.walk(os.path.join(inp, "files")):  # a warm page cache for every side
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                fh.read()
    ref = os.path.join(HERE, "..", "prepare", "reference.py")
    wl = os.path.join(inp, "worklist.csv")

    def ours(out, jobs, env):
        return Side(f"sightline prepare --jobs {jobs}" + (" GOMAXPROCS=1" if env else ""),
                    [sightline, "prepare", "--worklist", wl, "--dicom-root", inp, "--out", out, "--seed", "1", "--jobs", str(jobs)],
                    env=env, whole=True, before=fresh(out))

    o1, oa = os.path.join(d, "ours1"), os.path.join(d, "ours")
    p1, pa = os.path.join(d, "py1"), os.path.join(d, "py")
    ours1 = ours(o1, 1, ONE_THREAD)
    ours_all = ours(oa, NPROC, {})
    py1 = Side("python reference, one process", [PY, ref, wl, inp, p1], env=ONE_THREAD, before=fresh(p1))
    py_all = Side(f"python reference, Pool({NPROC})", [PY, ref, wl, inp, pa, "--jobs", str(NPROC)],
                  env=ONE_THREAD, before=fresh(pa), children=True)
    race(f"prepare: {n} images (demo phantoms + a real 2140x1760 CR)", work, [ours1, py1, ours_all, py_all])

    # Same job? Pads identical; stages within 1 grey level on average (the resampling filters
    # differ: area-widened Catmull-Rom against OpenCV's INTER_AREA).
    cols = ["image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad"]
    ok = True
    for ours_dir, py_dir in ((oa, p1), (o1, pa)):
        pads = {r["dicom_id"]: r for r in csv.DictReader(open(os.path.join(py_dir, "pads.csv")))}
        diffs, peaks, bad = [], [], 0
        rows = list(csv.DictReader(open(os.path.join(ours_dir, "master_sheet.csv"))))
        for r in rows:
            p = pads.get(r["dicom_id"])
            bad += p is None or any(int(r[c]) != int(p[c]) for c in cols)
            a = cv2.imread(os.path.join(ours_dir, "display", r["dicom_id"] + ".png"), cv2.IMREAD_UNCHANGED)
            b = cv2.imread(os.path.join(py_dir, "display", r["dicom_id"] + ".png"), cv2.IMREAD_UNCHANGED)
            if a is not None and b is not None and a.shape == b.shape:
                delta = np.abs(a.astype(int) - b.astype(int))
                diffs.append(delta.mean())
                peaks.append(int(delta.max()))  # an error confined to a small area shows here
            else:
                diffs.append(999)
                peaks.append(999)
        good = len(rows) == n == len(pads) and bad == 0 and max(diffs) <= 1 and max(peaks) <= MAX_PIXEL
        ok &= good
        print(f"   agree ({os.path.basename(ours_dir)} vs {os.path.basename(py_dir)}): pads identical in "
              f"{len(rows) - bad} of {n} images; stage mean |Δ| {statistics.mean(diffs):.3f} grey levels, "
              f"worst image {max(diffs):.3f} (limit 1); largest |Δ| of one pixel {max(peaks)} "
              f"(limit {MAX_PIXEL}): {'yes' if good else 'NO'}")
    pc, wm = ratios(ours1, py1, ours_all, py_all)
    print("   (the Pool's CPU s is its whole process tree's, interpreter start-up included; the other Python sides time the work alone)")
    print(f"   images/s: ours {n / ours_all.median('wall'):.1f} on {NPROC} cores, reference {n / py_all.median('wall'):.1f} "
          f"with Pool({NPROC}); CPU s/image: ours {ours1.median('cpu') / n:.3f}, reference {py1.median('cpu') / n:.3f}")
    return [("pydicom+numpy+cv2.resize(INTER_AREA)", pc, wm, ok)]


def heatmap(work, helper):
    d = os.path.join(work, "heatmap")
    ref = os.path.join(HERE, "ref.py")
    ours1 = Side("heatmap.Blur GOMAXPROCS=1 (warm, per call)", [helper, "heatmap", d], env={"GOMAXPROCS": "1"})
    ours_all = Side(f"heatmap.Blur on {NPROC} cores (warm, per call)", [helper, "heatmap", d])
    scipy1 = Side("scipy gaussian_filter, exact (one process)", [PY, ref, "heatmap", d],
                  env=ONE_THREAD, rounds=SCIPY_ROUNDS)
    cv1 = Side("cv2.GaussianBlur, exact, 1 thread", [PY, ref, "heatmap-cv2", d], env=ONE_THREAD, rounds=SCIPY_ROUNDS)
    cv_all = Side(f"cv2.GaussianBlur, exact, {NPROC} threads", [PY, ref, "heatmap-cv2", d],
                  env={"OMP_NUM_THREADS": str(NPROC)}, rounds=SCIPY_ROUNDS)
    dec1 = Side("numpy/scipy decimated f=15 (one process)", [PY, ref, "heatmap-dec", d], env=ONE_THREAD)
    race("heatmap blur: one 2544x3056 canvas, 60 impulses, sigma 150", work, [ours1, ours_all, dec1, cv1, cv_all, scipy1])
    exact = np.load(os.path.join(d, "ref.npy")).astype(np.float64)

    def err(name):  # max |x - scipy's exact| / max(scipy's exact): the maximum, not the mean
        return float(np.abs(np.load(os.path.join(d, name)).astype(np.float64) - exact).max() / exact.max())

    e_ours, e_cv, e_dec = err("ours.npy"), err("cv2.npy"), err("dec.npy")
    print(f"   agree with scipy's exact blur, max |Δ| / max (limit 1e-3): ours {e_ours:.2e}, "
          f"cv2.GaussianBlur {e_cv:.2e}, numpy decimated {e_dec:.2e}")
    print("   whole machine: scipy's gaussian_filter and the numpy version have no parallel form (one process);"
          f" OpenCV on {NPROC} threads")
    print("   ours and the decimated numpy version run the same algorithm (a coarse grid 15x smaller; ours a"
          " recursive filter on it); scipy and OpenCV run the exact 1,201-tap kernel: those ratios are mostly the algorithm")
    out = []
    for ref_name, one, whole, e in (("numpy-decimated(same algorithm)", dec1, dec1, e_dec),
                                    ("cv2.GaussianBlur(exact)", cv1, cv_all, e_cv),
                                    ("scipy.gaussian_filter(exact)", scipy1, scipy1, 0.0)):
        pc, wm = ratios(ours1, one, ours_all, whole)
        out.append((ref_name, pc, wm, e_ours <= 1e-3 and e <= 1e-3))
    return out


def export(work, helper):
    sys.path.insert(0, HERE)
    from ref import EXPORT_TABLES

    d = os.path.join(work, "export")
    study = os.path.join(d, "study")
    o1, oa = os.path.join(d, "ours1"), os.path.join(d, "ours")
    ours1 = Side("sightline export GOMAXPROCS=1", [helper, "export", study, o1], env={"GOMAXPROCS": "1"}, before=fresh(o1))
    ours_all = Side(f"sightline export on {NPROC} cores", [helper, "export", study, oa], before=fresh(oa))
    # pandas reads the tables of our export (untimed) and writes them back with to_csv (timed):
    # the same tables, the same bytes expected.
    src = os.path.join(d, "reference-input")
    if not os.path.exists(os.path.join(src, "eye_gaze.csv")):
        fresh(oa)()
        subprocess.run([helper, "export", study, oa], check=True, stdout=subprocess.DEVNULL)
        shutil.copytree(oa, src)
    dst = os.path.join(d, "pandas")
    pandas1 = Side("pandas to_csv (one process)", [PY, os.path.join(HERE, "ref.py"), "export", src, dst],
                   env=ONE_THREAD, before=fresh(dst))
    rows = {name: sum(1 for _ in open(os.path.join(src, name))) - 1 for name in EXPORT_TABLES}
    race(f"export: {sum(rows.values())} rows in {len(rows)} tables, {rows['eye_gaze.csv']} of them gaze "
         "(ours: the whole export, recordings read; pandas: to_csv of the same tables)", work, [ours1, pandas1, ours_all])
    differ = [n for n in EXPORT_TABLES
              if not open(os.path.join(oa, n), "rb").read() == open(os.path.join(dst, n), "rb").read()
              == open(os.path.join(o1, n), "rb").read()]
    same = not differ
    print(f"   agree: {len(EXPORT_TABLES) - len(differ)} of {len(EXPORT_TABLES)} tables ({sum(rows.values())} rows, "
          f"every row) byte-identical to pandas to_csv{': NOT ' + ', '.join(differ) if differ else ''}: "
          f"{'yes' if same else 'NO'}")
    print("   (audio.csv and master_sheet.csv are written by ours, untouched by pandas: read_csv's type inference"
          " changes them, 0.03% of the bytes)")
    print(f"   peak RSS: ours {max(ours_all.rss):.0f} MB, pandas {max(pandas1.rss):.0f} MB (the tables read in, untimed, included)")
    print("   whole machine: pandas' to_csv has no parallel form; one process")
    pc, wm = ratios(ours1, pandas1, ours_all, pandas1)
    return [("pandas.DataFrame.to_csv", pc, wm, same)]


def ttest(work, helper):
    d = os.path.join(work, "ttest")
    ref = os.path.join(HERE, "ref.py")
    ours1 = Side("analysis.Student+Welch GOMAXPROCS=1", [helper, "ttest", d], env={"GOMAXPROCS": "1"})
    ours_all = Side(f"analysis.Student+Welch on {NPROC} cores", [helper, "ttest", d])
    vec1 = Side("numpy + scipy t.sf, vectorised (one process)", [PY, ref, "ttest-vec", d], env=ONE_THREAD)
    scipy1 = Side("scipy ttest_ind x2 per pair, a loop (one process)", [PY, ref, "ttest", d], env=ONE_THREAD)
    pairs = (len(np.fromfile(os.path.join(d, "offsets.i64"), dtype="<i8")) - 1) // 2
    race(f"t-tests: {pairs} pairs of groups (3-300 values), Student and Welch each", work, [ours1, ours_all, vec1, scipy1])
    a = np.fromfile(os.path.join(d, "ours_tp.f64"), dtype="<f8")

    def agree(name, label):  # t and p both: max |Δp|, max |Δt| relative beyond 1
        b = np.fromfile(os.path.join(d, name), dtype="<f8")
        same_nan = a.shape == b.shape and bool((np.isnan(a) == np.isnan(b)).all())
        if not same_nan:
            print(f"   agree with {label}: NaNs differ: NO")
            return False
        dp = float(np.nanmax(np.abs(a[1::2] - b[1::2])))
        dt = float(np.nanmax(np.abs(a[0::2] - b[0::2]) / np.maximum(1, np.abs(b[0::2]))))
        ok = dp <= 1e-12 and dt <= 1e-12
        print(f"   agree with {label}: max |Δp| = {dp:.1e}, max |Δt| = {dt:.1e} (relative beyond 1; limits 1e-12): {'yes' if ok else 'NO'}")
        return ok

    ok_loop, ok_vec = agree("ref_tp.f64", "scipy ttest_ind"), agree("vec_tp.f64", "the vectorised version")
    print("   whole machine: neither side runs t-tests in parallel; one process each")
    print("   the loop pays Python's call overhead twice a pair; the vectorised version is the strong reference")
    return [("numpy+scipy.t.sf(vectorised)",) + ratios(ours1, vec1, ours_all, vec1) + (ok_vec,),
            ("scipy.ttest_ind(loop)",) + ratios(ours1, scipy1, ours_all, scipy1) + (ok_loop,)]


def main():
    work, helper, sightline = sys.argv[1:4]
    which = sys.argv[4:] or ["prepare", "heatmap", "export", "ttest"]
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    print(f"bench-compare: {NPROC} CPUs, {ROUNDS} rounds ({SCIPY_ROUNDS} for scipy's blur), load average {load()}")
    print("per core = median CPU s of the reference / ours (one thread each); "
          "whole machine = median wall s of the reference / ours (each as parallel as it goes)")
    results = {}
    for name in which:
        if name == "prepare":
            results[name] = prepare(work, sightline)
        else:
            results[name] = globals()[name](work, helper)
    print(f"\nload average at the end {load()} ({NPROC} CPUs)")
    for name in which:
        for ref, pc, wm, ok in results[name]:
            print(f"COMPARE {name} ref={ref} per-core {pc:.2f}x whole-machine {wm:.2f}x agree={'yes' if ok else 'no'}")
    sys.exit(0 if all(r[3] for rs in results.values() for r in rs) else 1)


if __name__ == "__main__":
    main()
