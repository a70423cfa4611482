#!/usr/bin/python3
"""Draw the figures of a bench_all results folder.

    /usr/bin/python3 scripts/plot.py RESULTS_DIR

writes RESULTS_DIR/figures/<name>.png and .svg for every figure in FIGURES.
Every figure is always written, so the report's links never dangle: when
the run has no data for one (an interrupted run, an experiment not
selected), the figure says so in words.

Exit status 2 with a one-line message when the folder cannot be read.
"""

import argparse
import math
import os
import sys
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")   # no display: files only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

import results  # noqa: E402
import usl  # noqa: E402

# Fixed hash salt and no date: re-plotting the same results gives the same
# SVG bytes. Text kept as text in SVG, so it stays searchable and small.
RC = {
    "svg.hashsalt": "ratelab",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
}
DPI = 120
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "h", "<", ">", "p")
NA_COLOR = "#dddddd"


# --------------------------------------------------------------------------
# Shared context and styles

@dataclass
class Ctx:
    res: results.Results
    styles: dict          # variant -> (color, marker)
    cpus: int             # CPUs used: above this a point is oversubscribed
    scaling: list         # results.ScalingPoint
    fits: list            # usl.fit_scaling output


def variant_styles(variants):
    """A colour and a marker per variant. tab10 up to ten variants; beyond,
    tab20 taken dark shades first so neighbours stay distinct, and the marker
    shape tells apart what colour alone might not."""
    if len(variants) <= 10:
        palette = list(plt.get_cmap("tab10").colors)
    else:
        tab20 = plt.get_cmap("tab20").colors
        palette = list(tab20[0::2]) + list(tab20[1::2])
    return {v: (palette[i % len(palette)], MARKERS[i % len(MARKERS)])
            for i, v in enumerate(variants)}


def make_ctx(res):
    return Ctx(res=res, styles=variant_styles(res.variants), cpus=res.cpus_used,
               scaling=results.scaling_points(res), fits=usl.fit_scaling(res))


# --------------------------------------------------------------------------
# Small drawing helpers

def _say(ax, message):
    """Words instead of a plot: used where there is nothing to draw."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.text(0.5, 0.5, "\n".join(textwrap.wrap(message, 38)), ha="center", va="center",
            transform=ax.transAxes, fontsize=9, color="#444444")


def _thread_axis(ax, threads):
    ax.set_xscale("log", base=2)
    ax.set_xticks(threads)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    ax.set_xlim(min(threads) / 1.35, max(threads) * 1.35)
    ax.set_xlabel("threads")


def _shade_oversubscribed(ax, cpus, threads):
    """Grey band over thread counts above the CPUs used."""
    if threads and max(threads) > cpus:
        ax.axvspan(cpus, max(threads) * 2, color="#888888", alpha=0.12, lw=0, zorder=0)


def _oversub_handles(ctx, threads):
    if not threads or max(threads) <= ctx.cpus:
        return []
    return [Patch(color="#888888", alpha=0.25, label=f"oversubscribed (> {ctx.cpus} CPUs)"),
            Line2D([], [], color="#555555", marker="o", markerfacecolor="white",
                   linestyle="none", label="hollow: oversubscribed point")]


def _variant_handles(ctx, variants):
    return [Line2D([], [], color=ctx.styles[v][0], marker=ctx.styles[v][1], label=v)
            for v in variants]


def _series(ax, points, value, style, scale=1.0):
    """One variant's line: median with min..max error bars; filled markers,
    hollow where the point is oversubscribed. Returns whether anything was drawn."""
    rows = [(p.threads, value(p), p.oversubscribed) for p in points]
    rows = [(n, s.scaled(scale), o) for n, s, o in rows if s is not None]
    if not rows:
        return False
    color, marker = style
    xs = [n for n, _, _ in rows]
    med = np.array([s.median for _, s, _ in rows])
    err = np.array([[s.median - s.lo for _, s, _ in rows], [s.hi - s.median for _, s, _ in rows]])
    ax.plot(xs, med, color=color, lw=1.2, zorder=2)
    ax.errorbar(xs, med, yerr=err, fmt="none", ecolor=color, elinewidth=0.8, capsize=2, zorder=2)
    for (n, s, over), m in zip(rows, med):
        ax.plot([n], [m], linestyle="none", marker=marker, color=color, markersize=5.5,
                markerfacecolor="white" if over else color, zorder=3)
    return True


def _positive_log_y(ax, formatter=None):
    """Log y when everything drawn is positive, else linear (log cannot show 0)."""
    ys = [y for line in ax.get_lines() for y in np.atleast_1d(line.get_ydata())]
    if ys and min(ys) > 0:
        ax.set_yscale("log")
        _log_ticks(ax.yaxis, min(ys), max(ys), formatter)
        return True
    return False


def _log_ticks(axis, lo, hi, formatter=None):
    """Labelled ticks at 1-2-5 steps when the data spans little more than a
    decade: plain log axes would show one label, or none at all."""
    decades = math.log10(hi / lo) if lo > 0 else 99
    subs = (1.0, 2.0, 5.0) if decades < 2 else (1.0, 3.0) if decades < 4 else (1.0,)
    axis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    axis.set_minor_locator(ticker.LogLocator(base=10, subs="auto"))
    axis.set_minor_formatter(ticker.NullFormatter())
    axis.set_major_formatter(formatter or ticker.FuncFormatter(lambda v, _: f"{v:.3g}"))


def _legend_right(fig, handles):
    if handles:
        fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5),
                   frameon=False)


def _by_variant(points, variants):
    out = {v: [] for v in variants}
    for p in points:
        out.setdefault(p.variant, []).append(p)
    return {v: ps for v, ps in out.items() if ps}


def _eng():
    """Axis labels like the report's tables: 3 significant digits, SI prefix.
    (EngFormatter with fixed places prints 1.2G and 1.4G both as '1G'.)"""
    return ticker.FuncFormatter(lambda v, _: results.si(v))


# --------------------------------------------------------------------------
# Scaling figures

def _scaling_figure(ctx, regime, panels, title):
    """Generic scaling figure: one panel per (value, ylabel, log, ref) entry."""
    pts = [p for p in ctx.scaling if p.regime == regime]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6),
                             constrained_layout=True, squeeze=False)
    fig.suptitle(title)
    threads = sorted({p.threads for p in pts})
    groups = _by_variant(pts, ctx.res.variants)
    refs = []
    for ax, (value, ylabel, log, ref) in zip(axes[0], panels):
        if not pts:
            _say(ax, f"no {regime}-regime scaling records in this run")
            continue
        drawn = [v for v, ps in groups.items() if _series(ax, ps, value, ctx.styles[v])]
        if not drawn:
            _say(ax, "not defined for any point (see the report's tables)")
            continue
        _thread_axis(ax, threads)
        _shade_oversubscribed(ax, ctx.cpus, threads)
        if ref is not None:
            ax.axhline(ref[0], color="black", lw=0.8, ls="--", zorder=1)
            refs.append(Line2D([], [], color="black", lw=0.8, ls="--",
                               label=f"{ref[1]} ({ref[0]:g})"))
        if log:
            _positive_log_y(ax, _eng())
        ax.set_ylabel(ylabel)
        if not log:
            top = max(1.05, ax.get_ylim()[1])
            ax.set_ylim(0, top)
    _legend_right(fig, _variant_handles(ctx, list(groups)) + refs
                  + _oversub_handles(ctx, threads))
    return fig


def fig_throughput(ctx, regime):
    return _scaling_figure(ctx, regime, [
        (lambda p: p.throughput, "attempts/s (all threads)", True, None),
        (lambda p: p.admitted, "admitted/s (all threads)", True, None),
    ], f"Throughput, {regime} regime (median, bars: min..max over repetitions)")


def fig_per_thread(ctx, regime):
    return _scaling_figure(ctx, regime, [
        (lambda p: p.per_thread, "attempts/s per thread", True, None),
    ], f"Per-thread throughput, {regime} regime")


def fig_efficiency(ctx, regime):
    return _scaling_figure(ctx, regime, [
        (lambda p: p.efficiency, "scaling efficiency X(N) / (N·X(1))", False,
         (1.0, "linear scaling")),
    ], f"Scaling efficiency, {regime} regime")


def fig_fairness(ctx, regime):
    return _scaling_figure(ctx, regime, [
        (lambda p: p.jain, "Jain's index of per-thread admitted", False, (1.0, "perfectly fair")),
        (lambda p: p.min_max, "min / max of per-thread admitted", False, None),
    ], f"Fairness between threads, {regime} regime")


# --------------------------------------------------------------------------
# Counters

def fig_counters(ctx, regime):
    res = ctx.res
    info = results.counter_info(res)
    events = results.counter_events(res)
    pts = [p for p in results.counter_points(res) if p.regime == regime]
    threads = sorted({p.threads for p in pts})
    ncols = 3
    nrows = math.ceil(len(events) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows),
                             constrained_layout=True, squeeze=False)
    fig.suptitle(f"Hardware and software counters per attempt, {regime} regime "
                 "(median, bars: min..max)")
    drawn_variants = []
    for ax, event in zip(axes.flat, events):
        ax.set_title(event)
        ev = info[event]
        if not ev.available:
            lead = "not available on this machine" if ev.measured else "not measured"
            _say(ax, f"{lead}: {ev.reason}")
            continue
        groups = _by_variant([p for p in pts if p.event == event], res.variants)
        if not groups:
            _say(ax, f"no {regime}-regime records")
            continue
        for v, ps in groups.items():
            if _series(ax, ps, lambda p: p.per_op, ctx.styles[v]) and v not in drawn_variants:
                drawn_variants.append(v)
        _thread_axis(ax, threads)
        _shade_oversubscribed(ax, ctx.cpus, threads)
        _positive_log_y(ax)
        mux = any(p.multiplexed for ps in groups.values() for p in ps)
        # Multiplexed counts are estimates (scaled by enabled/running time): say so.
        ax.set_title(event + (" (multiplexed: scaled estimate)" if mux else ""))
        ax.set_ylabel("events per attempt")
    for ax in list(axes.flat)[len(events):]:
        ax.set_visible(False)
    order = [v for v in res.variants if v in drawn_variants]
    _legend_right(fig, _variant_handles(ctx, order) + _oversub_handles(ctx, threads))
    return fig


# --------------------------------------------------------------------------
# USL

def _fit_label(f):
    if not f.fitted:
        return f"no fit: {f.status}"
    peak = "∞" if f.peak_n == math.inf else f"{f.peak_n:.3g}"
    return f"USL σ={f.sigma:.3g}, κ={f.kappa:.3g}, N*={peak}"


def fig_usl(ctx, regime):
    fits = [(v, f, pts) for r, v, f, pts in ctx.fits if r == regime]
    ncols = max(1, min(3, len(fits)))
    nrows = max(1, math.ceil(len(fits) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 3.5 * nrows),
                             constrained_layout=True, squeeze=False)
    fig.suptitle(f"Universal Scalability Law fits, {regime} regime "
                 "(fitted to filled points; hollow: oversubscribed, not fitted)")
    if not fits:
        _say(axes[0][0], f"no {regime}-regime scaling records in this run")
    for ax, (variant, f, pts) in zip(axes.flat, fits):
        color, marker = ctx.styles[variant]
        threads = sorted(p.threads for p in pts)
        _series(ax, pts, lambda p: p.throughput, ctx.styles[variant])
        handles = [Line2D([], [], color=color, marker=marker, label="measured median")]
        if f.fitted:
            grid = np.geomspace(1, max(threads), 200)
            ax.plot(grid, f.predict(grid), color="black", lw=1.0, ls="--", zorder=4)
            handles.append(Line2D([], [], color="black", ls="--", label=_fit_label(f)))
        else:
            handles.append(Line2D([], [], color="none", label=_fit_label(f)))
        _thread_axis(ax, threads)
        _shade_oversubscribed(ax, ctx.cpus, threads)
        # Room above the highest point or fitted value, so neither touches the frame.
        top = max(max(np.atleast_1d(line.get_ydata())) for line in ax.get_lines())
        ax.set_ylim(0, top * 1.1)
        ax.yaxis.set_major_formatter(_eng())
        ax.set_ylabel("attempts/s")
        ax.set_title(variant)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2),
                  frameon=False, fontsize=7.5)
    for ax in list(axes.flat)[len(fits):]:
        ax.set_visible(False)
    return fig


# --------------------------------------------------------------------------
# Accuracy

# metric -> (figure title, caption in the report, signed colour scale)
ACCURACY_HEATS = {
    "overshoot_vs_limit": ("Overshoot vs limit: max admitted in any window W / L − 1",
                           "Overshoot vs limit by variant and load", True),
    "overshoot_vs_promise": ("Overshoot vs the variant's own promise (> 0: promise broken)",
                             "Overshoot vs the variant's promise by variant and load", True),
    "rate_error": ("Rate error: admitted rate / R − 1 (offered load ≥ R)",
                   "Rate error by variant and load", True),
    "false_rejections": ("False rejections: rejected / attempts (offered load < R)",
                         "False rejections by variant and load", False),
}


def _fmt_cell(v):
    return "n/a" if v is None or not math.isfinite(v) else f"{v:+.3g}" if v else "0"


def _heat_norm(values, signed):
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite + [1e-2])
    # Symmetric log colour scale: 0.5 % and 400x overshoot both stay legible.
    if signed:
        return mcolors.SymLogNorm(linthresh=1e-2, vmin=-top, vmax=top, base=10), "RdBu_r"
    return mcolors.SymLogNorm(linthresh=1e-3, vmin=0, vmax=max(top, 1e-3), base=10), "Reds"


def _symlog_ticks(norm):
    """A handful of colour-bar ticks: 0, the linear threshold and a few decades."""
    top = max(abs(norm.vmin), abs(norm.vmax))
    low = norm.linthresh
    decades = [low * 10 ** k for k in range(0, 12) if low * 10 ** k <= top]
    step = max(1, math.ceil(len(decades) / 4))
    pos = decades[::step]
    if norm.vmin < 0:
        return sorted([-d for d in pos] + [0.0] + pos)
    return [0.0] + pos


def fig_accuracy_heat(ctx, metric):
    title, _, signed = ACCURACY_HEATS[metric]
    pts = results.accuracy_points(ctx.res)
    thread_counts = sorted({p.threads for p in pts})
    variants = [v for v in ctx.res.variants if any(p.variant == v for p in pts)]
    loads = sorted({(p.pattern, p.offered_ratio) for p in pts},
                   key=lambda k: results.load_key(*k))
    npanel = max(1, len(thread_counts))
    width = max(6.5 / npanel, 0.95 * len(loads) + 2.2)
    fig, axes = plt.subplots(1, npanel, figsize=(width * npanel + 1.2, 0.42 * len(variants) + 2.4),
                             constrained_layout=True, squeeze=False)
    fig.suptitle("\n".join(textwrap.wrap(title, 70)) + "\nmedian over repetitions; grey: not "
                 "defined for that load; colour: symmetric log scale", fontsize=9.5)
    if not pts:
        _say(axes[0][0], "no accuracy records in this run")
        return fig
    cell = {(p.variant, p.pattern, p.offered_ratio, p.threads): p.metrics[metric] for p in pts}
    values = [s.median for s in cell.values() if s is not None]
    norm, cmap_name = _heat_norm(values, signed)
    cmap = plt.get_cmap(cmap_name).copy()
    cmap.set_bad(NA_COLOR)
    image = None
    for ax, n in zip(axes[0], thread_counts):
        grid = np.full((len(variants), len(loads)), np.nan)
        for i, v in enumerate(variants):
            for j, (pat, ratio) in enumerate(loads):
                s = cell.get((v, pat, ratio, n))
                if s is not None:
                    grid[i, j] = s.median
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto")
        for i in range(len(variants)):
            for j in range(len(loads)):
                val = grid[i, j]
                shade = cmap(norm(val)) if math.isfinite(val) else mcolors.to_rgba(NA_COLOR)
                dark = 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.5
                ax.text(j, i, _fmt_cell(val if math.isfinite(val) else None), ha="center",
                        va="center", fontsize=7.5, color="white" if dark else "black")
        ax.set_xticks(range(len(loads)))
        ax.set_xticklabels([results.load_label(*k) for k in loads], rotation=30, ha="right")
        ax.set_yticks(range(len(variants)))
        ax.set_yticklabels(variants)
        ax.grid(False)
        ax.set_title(f"{n} thread{'s' if n != 1 else ''}")
        ax.set_xlabel("offered load (R = L / W)")
    bar = fig.colorbar(image, ax=list(axes[0]), shrink=0.9, label=metric.replace("_", " "))
    bar.set_ticks(_symlog_ticks(norm))
    bar.ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    bar.ax.yaxis.set_minor_locator(ticker.NullLocator())
    return fig


def fig_accuracy_timeline(ctx):
    """Admitted in each sliding window W, over the limit, for the saturating
    and on/off loads at the largest thread count (first repetition)."""
    res = ctx.res
    variants = [v for v in res.variants if any(r["variant"] == v for r in res.accuracy)]
    ncols = max(1, min(3, len(variants)))
    nrows = max(1, math.ceil(len(variants) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.3 * ncols, 2.9 * nrows),
                             constrained_layout=True, squeeze=False)
    fig.suptitle("Admitted per sliding window W ÷ limit L over time "
                 "(largest thread count, first repetition)")
    if not variants:
        _say(axes[0][0], "no accuracy records in this run")
    styles = {"saturating": "-", "onoff": ":"}
    for ax, v in zip(axes.flat, variants):
        recs = [r for r in res.accuracy if r["variant"] == v and r["pattern"] in styles]
        if not recs:
            _say(ax, "no saturating or on/off records")
            ax.set_title(v)
            continue
        top = max(r["threads"] for r in recs)
        for pattern, ls in styles.items():
            chosen = sorted((r for r in recs if r["pattern"] == pattern and r["threads"] == top),
                            key=lambda r: r["repetition"])
            if not chosen:
                continue
            r = chosen[0]
            width = results.window_bins(r)
            sums = results.window_sums(r["bins"], width) if width else []
            if not sums:
                continue
            t_ms = [(i + width) * r["bin_ns"] / 1e6 for i in range(len(sums))]
            ax.plot(t_ms, np.array(sums) / r["limits"]["limit"], ls=ls, color=ctx.styles[v][0],
                    lw=1.2, label=f"{results.load_label(pattern, r['offered_ratio'])}")
            bound = r["promise"]["max_in_window"]
            if bound is not None and pattern == "saturating":
                ax.axhline(bound / r["limits"]["limit"], color="#777777", ls="--", lw=0.8,
                           label="promised bound")
        ax.axhline(1.0, color="black", lw=0.8, label="limit")
        ax.set_title(f"{v} ({top} threads)")
        ax.set_xlabel("window end (ms since start)")
        ax.set_ylabel("admitted in W / L")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, frameon=False,
                  fontsize=7.5)
    for ax in list(axes.flat)[len(variants):]:
        ax.set_visible(False)
    return fig


# --------------------------------------------------------------------------
# Trade-off

# Candidate label offsets in points: 8 directions at growing distances.
_LABEL_OFFSETS = [(round(r * dx), round(r * dy)) for r in (8, 16, 28, 42)
                  for dx, dy in ((1, 0.6), (1, -0.6), (-1, 0.6), (-1, -0.6),
                                 (0, 1), (0, -1), (1, 0), (-1, 0))]


def _label_box(ax, renderer, x, y, text, dx, dy):
    """Window box the label would take at this offset (text only, no leader)."""
    t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                    ha="left" if dx > 0 else "right" if dx < 0 else "center",
                    va="bottom" if dy > 0 else "top" if dy < 0 else "center", fontsize=8)
    box = t.get_window_extent(renderer).padded(1.5)
    t.remove()
    return box


def _place_labels(fig, ax, items):
    """Greedy label placement: for each point, the nearest candidate offset
    whose box overlaps no earlier label and no marker and stays inside the
    axes; when none is free, the one with the fewest overlaps. Labels set
    away from their point get a thin leader line, so which is whose stays clear."""
    renderer = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(renderer)
    markers = []
    for x, y, _ in items:
        px, py = ax.transData.transform((x, y))
        markers.append(matplotlib.transforms.Bbox([[px - 6, py - 6], [px + 6, py + 6]]))
    placed = []
    for x, y, text in items:
        best = None
        for dx, dy in _LABEL_OFFSETS:
            box = _label_box(ax, renderer, x, y, text, dx, dy)
            outside = not (box.x0 >= axbox.x0 and box.x1 <= axbox.x1
                           and box.y0 >= axbox.y0 and box.y1 <= axbox.y1)
            score = sum(box.overlaps(b) for b in placed + markers) + 100 * outside
            if best is None or score < best[0]:
                best = (score, dx, dy, box)
            if score == 0:
                break
        _, dx, dy, box = best
        leader = ({"arrowstyle": "-", "color": "#888888", "lw": 0.6, "shrinkA": 0, "shrinkB": 5}
                  if abs(dx) + abs(dy) > 20 else None)
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                    ha="left" if dx > 0 else "right" if dx < 0 else "center",
                    va="bottom" if dy > 0 else "top" if dy < 0 else "center", fontsize=8,
                    arrowprops=leader)
        placed.append(box)


def fig_tradeoff(ctx):
    res = ctx.res
    pts = results.tradeoff_points(res)
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.14, top=0.88)
    fig.suptitle("Accuracy vs throughput: one point per variant; line: Pareto front")
    missing = results.tradeoff_missing(res)
    if not pts:
        _say(ax, "needs admit-regime scaling points and saturating accuracy records; "
                 "this run has no variant with both")
        return fig
    for p in pts:
        color, marker = ctx.styles[p.variant]
        ax.plot([p.worst_overshoot], [p.throughput], linestyle="none", marker=marker,
                color=color, markersize=8, markeredgecolor="black" if p.pareto else color,
                markeredgewidth=1.4 if p.pareto else 0.8, zorder=3)
    front = sorted((p for p in pts if p.pareto), key=lambda p: p.worst_overshoot)
    ax.plot([p.worst_overshoot for p in front], [p.throughput for p in front], color="black",
            lw=0.9, ls="--", zorder=2, label="Pareto front")
    ax.set_xscale("symlog", linthresh=1e-2)
    ax.set_yscale("log")
    xs = [p.worst_overshoot for p in pts]
    ys = [p.throughput for p in pts]
    _log_ticks(ax.yaxis, min(ys) / 2.2, max(ys) * 2.2, _eng())
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    lo, hi = min(xs + [0.0]), max(xs + [0.01])
    ax.set_xlim(lo - 0.2 * abs(lo) - 0.005, hi * 3 + 0.02)
    ax.set_ylim(min(ys) / 2.2, max(ys) * 2.2)
    threads = sorted({p.threads for p in pts})
    ax.set_xlabel("worst overshoot vs limit under saturating load (symmetric log scale)")
    ax.set_ylabel("attempts/s, admit regime, at "
                  + ("/".join(str(t) for t in threads)) + " threads")
    _place_labels(fig, ax, [(p.worst_overshoot, p.throughput,
                             p.variant + (" ★" if p.pareto else "")) for p in pts])
    note = "★ on the Pareto front (no variant is both faster and more accurate)"
    if missing:
        note += "\nnot shown: " + "; ".join(f"{v} ({why})" for v, why in missing)
    fig.text(0.01, 0.01, note, fontsize=7.5, color="#444444", va="bottom")
    ax.legend(loc="lower right", frameon=False)
    return fig


# --------------------------------------------------------------------------
# Per-call cost

def fig_percall(ctx):
    pts = results.percall_points(ctx.res)
    groups = [g for g in results.PERCALL_GROUPS if any(p.group == g for p in pts)]
    heights = [max(1, sum(1 for p in pts if p.group == g)) for g in groups] or [1]
    fig, axes = plt.subplots(len(heights), 1, figsize=(7.5, 0.32 * sum(heights) + 1.1 * len(heights)
                                                         + 0.8),
                             gridspec_kw={"height_ratios": heights}, sharex=True,
                             constrained_layout=True, squeeze=False)
    fig.suptitle("Per-call cost, one thread (Google Benchmark real time; "
                 "median, bars: min..max over repetitions)")
    if not pts:
        _say(axes[0][0], "no percall.json in this run")
        return fig
    floor = min(p.real_ns.lo for p in pts) / 3
    for ax, g in zip(axes[:, 0], groups):
        rows = [p for p in pts if p.group == g]
        ys = np.arange(len(rows))
        med = np.array([p.real_ns.median for p in rows])
        err = np.array([[p.real_ns.median - p.real_ns.lo for p in rows],
                        [p.real_ns.hi - p.real_ns.median for p in rows]])
        colors = [ctx.styles[p.label][0] if p.label in ctx.styles else "#7f7f7f" for p in rows]
        ax.barh(ys, med - floor, left=floor, color=colors, height=0.65, xerr=err,
                error_kw={"elinewidth": 0.8, "capsize": 2})
        for y, m, p in zip(ys, med, rows):
            ax.text(p.real_ns.hi * 1.08, y, f"{m:.3g} ns", va="center", fontsize=7.5)
        ax.set_yticks(ys)
        ax.set_yticklabels([p.label for p in rows])
        ax.invert_yaxis()
        ax.set_title({"Admit": "admit path (BM_Admit)", "Reject": "reject path (BM_Reject)",
                      "Primitive": "primitives (BM_Primitive)"}.get(g, "other benchmarks"),
                     loc="left", fontsize=9)
        ax.grid(axis="y", visible=False)
    ax = axes[-1][0]
    ax.set_xscale("log")
    ax.set_xlim(floor, max(p.real_ns.hi for p in pts) * 4)
    _log_ticks(ax.xaxis, floor, max(p.real_ns.hi for p in pts) * 4)
    ax.set_xlabel("ns per call (log scale)")
    return fig


# --------------------------------------------------------------------------
# Catalogue

@dataclass(frozen=True)
class Figure:
    name: str
    caption: str
    draw: object


def _per_regime(name, caption, fn):
    return [Figure(f"{name}_{r}", f"{caption}, {r} regime", lambda ctx, r=r: fn(ctx, r))
            for r in results.REGIMES]


FIGURES = (
    _per_regime("throughput", "Throughput (attempts/s and admitted/s) vs threads", fig_throughput)
    + _per_regime("per_thread", "Per-thread throughput vs threads", fig_per_thread)
    + _per_regime("efficiency", "Scaling efficiency X(N)/(N·X(1))", fig_efficiency)
    + _per_regime("fairness", "Fairness between threads (Jain's index, min/max)", fig_fairness)
    + _per_regime("counters", "Counters per attempt vs threads", fig_counters)
    + _per_regime("usl", "Universal Scalability Law fits", fig_usl)
    + [Figure(f"accuracy_{m}", ACCURACY_HEATS[m][1],
              lambda ctx, m=m: fig_accuracy_heat(ctx, m)) for m in ACCURACY_HEATS]
    + [Figure("accuracy_timeline", "Admitted per window over time", fig_accuracy_timeline),
       Figure("tradeoff", "Accuracy vs throughput trade-off, Pareto front", fig_tradeoff),
       Figure("percall", "Per-call cost (ns per call)", fig_percall)]
)
FORMATS = ("png", "svg")


def figures_dir(results_dir):
    return os.path.join(results_dir, "figures")


def _stamp_partial(fig, res):
    """Every figure of a run that did not complete says so above its title."""
    if res.status != "complete":
        fig.text(0.0, 1.0, f"run {res.status}: {res.run['points_done']} of "
                           f"{res.run['points_total']} points measured; figures are partial",
                 ha="left", va="bottom", color="firebrick", fontsize=8.5)


def _save(fig, outdir, name):
    paths = []
    for fmt in FORMATS:
        path = os.path.join(outdir, f"{name}.{fmt}")
        # Written to a temporary name, then renamed: no half figure on a crash.
        tmp = os.path.join(outdir, f".tmp-{name}.{fmt}")
        meta = {"Date": None} if fmt == "svg" else {}
        fig.savefig(tmp, format=fmt, dpi=DPI, bbox_inches="tight", metadata=meta)
        os.replace(tmp, path)
        paths.append(path)
    plt.close(fig)
    return paths


def write_all(res, outdir=None):
    """Draw every figure of FIGURES; returns the written paths."""
    outdir = outdir or figures_dir(res.path)
    os.makedirs(outdir, exist_ok=True)
    written = []
    with plt.rc_context(RC):
        ctx = make_ctx(res)
        for f in FIGURES:
            fig = f.draw(ctx)
            _stamp_partial(fig, res)
            written += _save(fig, outdir, f.name)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="plot.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="a bench_all results folder")
    args = parser.parse_args(argv)
    try:
        res = results.load(args.results_dir)
        written = write_all(res)
    except results.ResultsError as e:
        print(f"plot.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"plot.py: error: cannot write figures: {e}", file=sys.stderr)
        return 2
    print(f"plot.py: wrote {len(written)} files to {figures_dir(args.results_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
