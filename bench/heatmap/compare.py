"""Side by side with the reference: scipy.ndimage.gaussian_filter(σ=150) on the impulses that
main.go wrote, timed, and the largest difference between our blur and scipy's, relative to the
map's maximum. With matplotlib present, also plt.imsave's viridis PNG against our heatmap.png.

usage: python3 compare.py DIR   (DIR from `go run ./bench/heatmap -out DIR`)
"""
import json
import sys
import time

import numpy as np
from scipy import ndimage

d = sys.argv[1]
imp = np.load(f"{d}/impulses.npy")
ours = np.load(f"{d}/ours.npy").astype(np.float64)
canvas = imp.astype(np.float64)  # the reference's canvas: np.zeros(...) is float64

times = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 2):
    t = time.perf_counter()
    ref = ndimage.gaussian_filter(canvas, 150)  # mode="reflect", truncate=4.0: the defaults
    times.append(time.perf_counter() - t)

go = json.load(open(f"{d}/timings.json"))
diff = np.abs(ours - ref)
res = {
    "scipy_s_min": min(times),
    "ours_blur_ms_min": go["blur_ms_min"],
    "ours_blur_ms_median": go["blur_ms_median"],
    "max_abs_diff_over_max": float(diff.max() / ref.max()),
    "mean_abs_diff_over_max": float(diff.mean() / ref.max()),
}
# The same on the min–max normalised maps, which is what the PNG encodes.
norm = lambda a: (a - a.min()) / (a.max() - a.min())
res["max_abs_diff_normalised"] = float(np.abs(norm(ours) - norm(ref)).max())

# Colour bins as plt.imsave assigns them (⌊256·normalised⌋, the maximum in 255), from each map.
def bins(a):
    return np.minimum((norm(a) * 256).astype(np.int64), 255)

bo, br = bins(ours), bins(ref)
res["bin_max_difference"] = int(np.abs(bo - br).max())
res["bin_pixels_differing"] = float((bo != br).mean())

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # What the reference script writes, against our heatmap.png, colour by colour (two pairs of
    # viridis entries share their 8-bit colour, so colours are compared, not bins).
    plt.imsave(f"{d}/scipy_heatmap.png", ref)
    a = (plt.imread(f"{d}/scipy_heatmap.png")[..., :3] * 255).round().astype(np.int64)
    b = (plt.imread(f"{d}/static/heatmap.png")[..., :3] * 255).round().astype(np.int64)
    res["png_same_size"] = a.shape == b.shape
    res["png_pixels_differing"] = float((a != b).any(axis=-1).mean())
    res["png_max_channel_difference"] = int(np.abs(a - b).max())
    # plt.imsave of our own map against our heatmap.png: the normalisation and the colormap
    # alone (0 when they match matplotlib's).
    plt.imsave(f"{d}/imsave_ours.png", np.load(f"{d}/ours.npy"))
    c = (plt.imread(f"{d}/imsave_ours.png")[..., :3] * 255).round().astype(np.int64)
    res["png_vs_imsave_of_our_map_pixels_differing"] = float((c != b).any(axis=-1).mean())
except ImportError as e:
    res["png_check"] = f"skipped: {e}"

print(json.dumps(res, indent=2))
json.dump(res, open(f"{d}/compare.json", "w"), indent=2)
