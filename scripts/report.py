#!/usr/bin/python3
"""Rewrite the generated sections of REPORT.md from a results folder.

    /usr/bin/python3 scripts/report.py RESULTS_DIR REPORT_MD [--init]

Each generated section sits between

    <!-- BEGIN GENERATED: name -->
    <!-- END GENERATED: name -->

and only the text between a pair is replaced; everything else is the
hand-written analysis and is left exactly as it is. A section whose markers
are not in the file is skipped (nothing is appended). With --init, a missing
REPORT_MD is first created as a skeleton holding every section's markers.

The output depends only on the results folder, the figures present and
REPORT_MD's location: no clock, fixed number formats and a fixed order, so a
second run on the same results changes nothing.

Exit status 2 with a one-line message when the results cannot be read or
the markers are malformed.
"""

import argparse
import math
import os
import re
import sys
import tempfile

import results
import usl

SECTIONS = ("machine", "method", "scaling_table", "counters_table", "accuracy_table",
            "store_table",
            "percall_table", "usl_table", "figures")

MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED: ([A-Za-z0-9_.-]+) -->")


class ReportError(Exception):
    """REPORT_MD cannot be updated safely (malformed markers, missing file)."""


# --------------------------------------------------------------------------
# Number formats: fixed, so the same numbers always print the same way.

fmt_si = results.si   # 3 significant digits with an SI prefix: '12.3M'


def fmt_g3(x):
    """3 significant digits, no exponent for large numbers."""
    if x is None:
        return "n/a"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def fmt_signed(x):
    """Signed, 4 significant digits; exact zero prints as '0', not '+0'."""
    if x is None:
        return "n/a"
    return "0" if x == 0 else f"{x:+.4g}"


def fmt_ns(x):
    """Nanoseconds per call: 4 significant digits, so repetitions that differ
    by a fraction of a percent still show distinct min and max."""
    if x is None:
        return "n/a"
    return f"{x:.0f}" if abs(x) >= 10000 else f"{x:.4g}"


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.3f}"


def fmt_frac(x):
    return "n/a" if x is None else f"{x:.4g}"


def fmt_count(x):
    return "n/a" if x is None else f"{x:g}"


def fmt_spread(s, fmt):
    """'median [min, max]'; just the median when all repetitions agree."""
    if s is None:
        return "n/a"
    if s.n == 1 or s.lo == s.hi:
        return fmt(s.median)
    return f"{fmt(s.median)} [{fmt(s.lo)}, {fmt(s.hi)}]"


def yes_no(v):
    return "unknown" if v is None else "yes" if v else "no"


def _table(header, rows, align=None):
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cpu_ranges(cpus):
    """[0,1,2,5] -> '0-2,5'."""
    cpus = sorted(cpus)
    parts, start = [], None
    for i, c in enumerate(cpus):
        if start is None:
            start = c
        if i + 1 == len(cpus) or cpus[i + 1] != c + 1:
            parts.append(f"{start}" if start == c else f"{start}-{c}")
            start = None
    return ",".join(parts) or "none"


def _md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------
# Sections

def _status_line(res):
    run = res.run
    line = (f"Run `{run['run_id']}`: status **{run['status']}**, {run['points_done']} of "
            f"{run['points_total']} points measured; started {run['started_utc']}, "
            f"finished {run['finished_utc'] or 'never (no end recorded)'}.")
    if run["status"] != "complete":
        absent = ", ".join(f"{f} ({why})" for f, why in res.absent) or "none"
        line += (f"\n\n**This run did not complete ({run['status']}).** The tables and figures "
                 f"cover only the points it measured; files not written: {absent}.")
    return line


def _topology(machine):
    topo = machine["topology"]
    if not topo:
        return "unknown"
    if any(t["package_id"] is None or t["core_id"] is None for t in topo):
        return f"{len(topo)} CPU(s); core and package ids not readable (no sysfs topology)"
    packages = {t["package_id"] for t in topo}
    cores = {(t["package_id"], t["core_id"]) for t in topo}
    smt = len(topo) / len(cores)
    return (f"{len(packages)} package(s), {len(cores)} core(s), {len(topo)} CPU(s) "
            f"({smt:g} per core)")


def _rel(path, ctx):
    """path relative to REPORT_MD's folder, with '/' whatever the OS."""
    base = os.path.dirname(os.path.abspath(ctx["report_path"]))
    return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")


def section_machine(res, ctx):
    m = res.machine
    libs = ", ".join(f"{k} {v or 'unknown'}" for k, v in sorted(m["libraries"].items())) or "none"
    rev = m["git_revision"] or "unknown"
    if m["git_dirty"]:
        rev += " (working tree had uncommitted changes)"
    rows = [
        ("CPU model", m["cpu_model"] or "unknown"),
        ("online CPUs", f"{len(m['online_cpus'])} ({_cpu_ranges(m['online_cpus'])})"),
        ("CPUs used", f"{res.cpus_used} ({_cpu_ranges(res.run['flags']['cpus'] or m['online_cpus'])})"),
        ("topology", _topology(m)),
        ("virtualized", yes_no(m["virtualized"])),
        ("kernel", m["kernel"] or "unknown"),
        ("glibc", m["glibc"] or "unknown"),
        ("compiler", m["compiler"] or "unknown"),
        ("flags / build type", f"`{m['cxx_flags'] or ''}` / {m['build_type'] or 'unknown'}"),
        ("git revision", rev),
        ("libraries", libs),
        ("perf_event_paranoid", fmt_count(m["perf_event_paranoid"])),
        ("rseq registered", yes_no(m["rseq_registered"])),
        ("hostname", m["hostname"] or "unknown"),
        ("command", "`" + " ".join(res.run["argv"]) + "`"),
    ]
    info = results.counter_info(res)
    counter_rows = [(e, "yes" if i.available else "no", _md_escape(i.reason or ""))
                    for e, i in info.items()]
    return "\n\n".join([
        f"Raw results: [`{_rel(res.path, ctx)}`](<{_rel(res.path, ctx)}>) "
        "(schema: harness/RESULTS.md).",
        _status_line(res),
        _table(["", ""], [(k, _md_escape(v)) for k, v in rows]),
        "Performance counters on this machine:",
        _table(["event", "available", "reason"], counter_rows),
    ])


def section_method(res, ctx):
    f = res.run["flags"]
    variants = f["variants"] if isinstance(f["variants"], str) else ",".join(f["variants"])
    setup = [
        f"- Variants: {variants or 'all'}; thread counts: {', '.join(map(str, f['threads']))}.",
        f"- Each point ran {f['duration_s']:g} s after {f['warmup_s']:g} s of warm-up, "
        f"repeated {f['repetitions']} times with variants interleaved; ticker period "
        f"{f['tick_us']:g} µs; experiments: {', '.join(f['experiments'])}"
        + ("; quick mode." if f["quick"] else "."),
        f"- Counters requested: {', '.join(f['events']) or 'none'}.",
        f"- Threads pinned to {res.cpus_used} CPU(s); points with more threads than that are "
        "marked oversubscribed (threads share CPUs round-robin).",
    ]
    redis = res.machine.get("redis")
    if redis:
        procs = max([r.get("processes", 1) for r in res.scaling + res.accuracy] or [1])
        setup.append(
            f"- Store-backed variants ({', '.join(sorted(redis.get('variants') or {})) or 'none'})"
            f": redis-server {redis.get('version') or '(version unknown)'} at "
            f"{redis['address']}"
            + (", started by bench_all for the run" if redis["started_by_bench_all"] else "")
            + (f"; their points with two or more threads ran in up to {procs} processes "
               "sharing one redis key." if procs > 1 else "; every point in one process."))
    definitions = [
        "- Every cell is the **median over repetitions, with [min, max]** over the same "
        "repetitions (not an IQR: with a handful of repetitions quartiles rest on one or two "
        "samples). A single value means one repetition, or all agreed.",
        "- Throughput X = attempts / (duration_ns / 1e9), all threads together; per-thread "
        "throughput = X / threads; scaling efficiency = X(N) / (N · median X(1)).",
        "- Fairness: Jain's index (Σx)² / (n·Σx²) of per-thread admitted counts, and min/max "
        "of them; undefined (n/a) when nothing was admitted.",
        "- Counters per attempt = event count summed over threads (scaled by "
        "time_enabled/time_running when the kernel multiplexed them) / attempts.",
        "- Accuracy metrics as defined in harness/RESULTS.md; R = L / W. Rate error is "
        "undefined below R, false rejections at or above R.",
        "- USL: X(N) = λN / (1 + σ(N−1) + κN(N−1)), least squares on relative residuals, "
        "σ, κ ≥ 0, fitted to the median throughput at each thread count that is not "
        "oversubscribed; N* = √((1−σ)/κ) (∞ when κ = 0, 1 when σ ≥ 1).",
        "- Per-call cost: Google Benchmark real time per iteration, one thread; median "
        "[min, max] over its repetitions.",
    ]
    checks = ["Consistency checks on the raw records: "
              + ("all passed." if not res.warnings else "**problems found**:")]
    checks += [f"- {_md_escape(w)}" for w in res.warnings]
    if res.absent:
        checks.append("Files absent: " + ", ".join(f"{f} ({why})" for f, why in res.absent)
                      + ".")
    return "\n".join(setup) + "\n\n" + "\n".join(definitions) + "\n\n" + "\n".join(checks)


def _oversub_note(res):
    return (f"Oversubscribed: more threads than the {res.cpus_used} CPU(s) used. "
            "Cells: median [min, max] over repetitions.")


def section_scaling_table(res, ctx):
    pts = ctx["scaling"]
    if not pts:
        return "No scaling records in this run."
    out = [_oversub_note(res)]
    for regime in results.REGIMES:
        rows = [(p.variant, p.threads, yes_no(p.oversubscribed), p.reps,
                 fmt_spread(p.throughput, fmt_si), fmt_spread(p.admitted, fmt_si),
                 fmt_spread(p.per_thread, fmt_si), fmt_spread(p.efficiency, fmt_ratio),
                 fmt_spread(p.jain, fmt_ratio), fmt_spread(p.min_max, fmt_ratio))
                for p in pts if p.regime == regime]
        out.append(f"#### {regime} regime")
        if not rows:
            out.append(f"No {regime}-regime records in this run.")
            continue
        out.append(_table(["variant", "threads", "oversubscribed", "reps", "attempts/s",
                           "admitted/s", "attempts/s per thread", "efficiency", "Jain",
                           "min/max"], rows,
                          ["---", "--:", "---", "--:"] + ["---"] * 6))
    return "\n\n".join(out)


def section_counters_table(res, ctx):
    info = results.counter_info(res)
    available = [e for e, i in info.items() if i.available]
    missing = {}
    for e, i in info.items():
        if not i.available:
            missing.setdefault(i.reason, []).append(e)
    out = []
    for reason, events in missing.items():
        lead = "Not available on this machine" if info[events[0]].measured else "Not measured"
        out.append(f"{lead}: {', '.join(events)} ({_md_escape(reason)}).")
    if not available:
        out.append("No counter has a value in this run, so there is no table.")
        return "\n\n".join(out)
    out.append("Events per attempt. " + _oversub_note(res) + " `(mux)`: the kernel "
               "multiplexed the counter and the count was scaled by time_enabled/time_running.")
    cells = {(p.variant, p.regime, p.threads, p.event): p for p in results.counter_points(res)}
    for regime in results.REGIMES:
        keys = sorted({(p.variant, p.threads, p.oversubscribed) for p in ctx["scaling"]
                       if p.regime == regime},
                      key=lambda k: (res.variants.index(k[0]), k[1]))
        out.append(f"#### {regime} regime")
        if not keys:
            out.append(f"No {regime}-regime records in this run.")
            continue
        rows = []
        for variant, threads, over in keys:
            row = [variant, threads, yes_no(over)]
            for e in available:
                p = cells.get((variant, regime, threads, e))
                text = fmt_spread(p.per_op, fmt_g3) if p else "n/a"
                row.append(text + (" (mux)" if p and p.multiplexed else ""))
            rows.append(row)
        out.append(_table(["variant", "threads", "oversubscribed"] + available, rows,
                          ["---", "--:", "---"] + ["---"] * len(available)))
    return "\n\n".join(out)


def section_accuracy_table(res, ctx):
    pts = results.accuracy_points(res)
    if not pts:
        return "No accuracy records in this run."
    m = lambda p, k, f: fmt_spread(p.metrics[k], f)  # noqa: E731
    rows = [(p.variant, p.load, p.threads, p.reps,
             m(p, "overshoot_vs_limit", fmt_signed), m(p, "overshoot_vs_promise", fmt_signed),
             m(p, "rate_error", fmt_signed), m(p, "false_rejections", fmt_frac),
             m(p, "promise_violations", fmt_count), m(p, "jain", fmt_ratio),
             m(p, "min_max_ratio", fmt_ratio)) for p in pts]
    out = ["Cells: median [min, max] over repetitions; n/a: not defined for that load "
           "(rate error needs offered load ≥ R, false rejections < R) or no bound stated.",
           _table(["variant", "load", "threads", "reps", "overshoot vs limit",
                   "overshoot vs promise", "rate error", "false rejections",
                   "promise violations", "Jain", "min/max"], rows,
                  ["---", "---", "--:", "--:"] + ["---"] * 7),
           "#### Accuracy–throughput trade-off",
           "Throughput: median attempts/s in the admit regime at the highest thread count "
           "that is not oversubscribed. Worst overshoot: the largest overshoot vs limit of "
           "any saturating-load record (all thread counts and repetitions). Pareto front: "
           "no other variant is both faster and more accurate."]
    trade = results.tradeoff_points(res)
    if trade:
        out.append(_table(["variant", "threads", "attempts/s", "worst overshoot vs limit",
                           "Pareto front"],
                          [(t.variant, t.threads, fmt_si(t.throughput),
                            fmt_signed(t.worst_overshoot), yes_no(t.pareto)) for t in trade],
                          ["---", "--:", "---", "---", "---"]))
    else:
        out.append("No variant has both numbers in this run.")
    missing = results.tradeoff_missing(res)
    if missing:
        out.append("Not in the trade-off: " + "; ".join(f"{v} ({why})" for v, why in missing)
                   + ".")
    return "\n\n".join(out)


def section_store_table(res, ctx):
    rows = results.store_rows(res)
    if not rows:
        return "No store-backed (redis_*) variant in this run."
    redis = res.machine.get("redis") or {}
    top = rows[0].threads
    procs = {r.processes for r in rows if r.processes}
    where = (f"redis-server {redis.get('version') or '(version unknown)'} at "
             f"{redis.get('address', '?')}"
             + (", started by bench_all for the run" if redis.get("started_by_bench_all") else ""))
    sp = lambda x, f: fmt_spread(x, f) if x is not None else "n/a"  # noqa: E731
    table = [(r.variant if not r.mirror_of else f"{r.variant} (in-process)",
              sp(r.admit_ns, fmt_ns), sp(r.reject_ns, fmt_ns), sp(r.admit_1, fmt_si),
              sp(r.admit_n, fmt_si), sp(r.reject_n, fmt_si),
              r.processes if r.processes else "n/a",
              sp(r.rate_error, fmt_signed), sp(r.overshoot, fmt_signed),
              f"{r.store_refusals:,}") for r in rows]
    n = f"{top} threads" if top else "N threads"
    return "\n\n".join([
        f"Each store-backed variant above the in-process variant with the same algorithm. "
        f"Store: {where}. ns/call: Google Benchmark, one thread. Attempts/s: scaling "
        f"experiment, at 1 thread and at {n} (the highest count not oversubscribed), in "
        f"the number of processes shown"
        + (f" (bench_all --processes splits a store-backed point's threads over up to "
           f"{max(procs)} processes sharing one redis key)" if procs and max(procs) > 1 else "")
        + ". Rate error and overshoot: saturating load. Store refusals: requests refused "
          "because redis could not be reached, over the whole run. "
          "Cells: median [min, max] over repetitions.",
        _table(["variant", "admit ns/call", "reject ns/call", "admit attempts/s, 1 thread",
                f"admit attempts/s, {n}", f"reject attempts/s, {n}", "processes",
                "rate error (saturating)", "overshoot vs limit (saturating)",
                "store refusals"], table,
               ["---"] + ["---"] * 5 + ["--:", "---", "---", "--:"])])


def section_percall_table(res, ctx):
    pts = results.percall_points(res)
    if not pts:
        why = dict(res.absent).get("percall.json")
        return "No per-call results in this run" + (f" (percall.json {why})." if why else ".")
    rows = [(p.group, f"`{p.name}`", p.reps, fmt_spread(p.real_ns, fmt_ns),
             fmt_spread(p.cpu_ns, fmt_ns), f"{p.iterations:.0f}",
             "iteration runs" if p.source == "iterations" else f"{p.source} aggregate")
            for p in pts]
    out = ["Google Benchmark, one thread; ns per call converted from its time_unit.",
           _table(["group", "benchmark", "reps", "real ns/call", "CPU ns/call",
                   "iterations", "from"], rows,
                  ["---", "---", "--:", "---", "---", "--:", "---"])]
    errors = results.percall_errors(res)
    if errors:
        out.append("Benchmarks that reported an error: "
                   + "; ".join(f"`{n}` ({_md_escape(msg)})" for n, msg in errors) + ".")
    return "\n\n".join(out)


def _fmt_peak(n):
    if n is None:
        return "n/a"
    return "∞" if n == math.inf else f"{n:.3g}"


def section_usl_table(res, ctx):
    fits = ctx["fits"]
    if not fits:
        return "No scaling records in this run, so no fit."
    rows = []
    for regime, variant, f, _ in fits:
        rows.append((regime, variant, ", ".join(map(str, f.n_used)) or "none",
                     fmt_si(f.lam), fmt_g3(f.sigma), fmt_g3(f.kappa), _fmt_peak(f.peak_n),
                     "n/a" if f.r2 is None else f"{f.r2:.4f}", f.status,
                     _md_escape(f.note) or ""))
    return ("Fitted to the median attempts/s at each thread count that is not "
            "oversubscribed. λ: single-thread throughput without contention.\n\n"
            + _table(["regime", "variant", "threads fitted", "λ (attempts/s)", "σ", "κ", "N*",
                      "R²", "status", "note"], rows))


def section_figures(res, ctx):
    import plot   # matplotlib is only needed for the catalogue, and only here
    fig_dir = plot.figures_dir(res.path)
    out = []
    for f in plot.FIGURES:
        links = {fmt: _rel(os.path.join(fig_dir, f"{f.name}.{fmt}"), ctx)
                 for fmt in plot.FORMATS}
        present = all(os.path.exists(os.path.join(fig_dir, f"{f.name}.{fmt}"))
                      for fmt in plot.FORMATS)
        entry = [f"#### {f.caption}", "", f"![{f.caption}](<{links['png']}>)", "",
                 f"SVG: [{f.name}.svg](<{links['svg']}>)"]
        if not present:
            entry.append("\n_Not drawn yet: run `scripts/plot.py` on this results folder._")
        out.append("\n".join(entry))
    return "Numbers behind every figure are in the tables above.\n\n" + "\n\n".join(out)


RENDERERS = {
    "machine": section_machine,
    "method": section_method,
    "scaling_table": section_scaling_table,
    "counters_table": section_counters_table,
    "accuracy_table": section_accuracy_table,
    "store_table": section_store_table,
    "percall_table": section_percall_table,
    "usl_table": section_usl_table,
    "figures": section_figures,
}


def render_sections(res, report_path):
    ctx = {"scaling": results.scaling_points(res), "fits": usl.fit_scaling(res),
           "report_path": report_path}
    return {name: RENDERERS[name](res, ctx) for name in SECTIONS}


# --------------------------------------------------------------------------
# Markers

def _line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def find_sections(text, path="REPORT_MD"):
    """[(name, begin_match, end_match)] in file order. Markers must pair up:
    BEGIN x then END x, not nested, each name once; otherwise ReportError."""
    pairs, open_ = [], None
    seen = set()
    for m in MARKER.finditer(text):
        kind, name = m.group(1), m.group(2)
        where = f"{path}:{_line_of(text, m.start())}"
        if kind == "BEGIN":
            if open_ is not None:
                raise ReportError(f"{where}: BEGIN GENERATED: {name} inside section "
                                  f"{open_.group(2)!r}, which has no END yet")
            if name in seen:
                raise ReportError(f"{where}: section {name!r} appears twice")
            seen.add(name)
            open_ = m
        else:
            if open_ is None or open_.group(2) != name:
                raise ReportError(f"{where}: END GENERATED: {name} without a matching BEGIN")
            pairs.append((name, open_, m))
            open_ = None
    if open_ is not None:
        raise ReportError(f"{path}:{_line_of(text, open_.start())}: BEGIN GENERATED: "
                          f"{open_.group(2)} has no END")
    return pairs


def replace_sections(text, bodies, path="REPORT_MD"):
    """Text with each known section's body replaced; returns (text, updated,
    missing). Unknown sections and all text outside markers are kept as is."""
    pairs = find_sections(text, path)
    out, pos, updated = [], 0, []
    for name, begin, end in pairs:
        if name not in bodies:
            continue
        out.append(text[pos:begin.end()])
        out.append("\n" + bodies[name].rstrip("\n") + "\n")
        pos = end.start()
        updated.append(name)
    out.append(text[pos:])
    missing = [n for n in bodies if n not in updated]
    return "".join(out), updated, missing


def skeleton():
    """A REPORT.md holding every generated section between hand-written headings."""
    def block(name):
        return f"<!-- BEGIN GENERATED: {name} -->\n<!-- END GENERATED: {name} -->"
    parts = [
        "# ratelab: report",
        "Sections between `BEGIN GENERATED` and `END GENERATED` markers are rewritten by "
        "`scripts/report.py`; everything else is written by hand and must agree with them.",
        "## Machine", block("machine"),
        "## Method", block("method"),
        "## Scaling", block("scaling_table"),
        "## Counters", block("counters_table"),
        "## Accuracy", block("accuracy_table"),
        "## Beyond one machine: redis", block("store_table"),
        "## Per-call cost", block("percall_table"),
        "## Universal Scalability Law", block("usl_table"),
        "## Findings", "_Written by hand: test each of the seed's claims against the "
        "numbers above._",
        "## Decision guide", "_Written by hand._",
        "## Limits of what was measured", "_Written by hand._",
        "## Figures", block("figures"),
    ]
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Command line

def _write_atomic(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-report-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update_report(results_dir, report_path, init=False):
    """Returns (updated, missing, changed): the sections rewritten, those without
    markers, and whether the file's text changed. Raises ResultsError/ReportError."""
    res = results.load(results_dir)
    if not os.path.exists(report_path):
        if not init:
            raise ReportError(f"{report_path}: no such file (use --init to create a skeleton)")
        _write_atomic(report_path, skeleton())
    try:
        with open(report_path, encoding="utf-8", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ReportError(f"{report_path}: cannot read: {e}") from None
    find_sections(text, report_path)   # refuse malformed markers before any work
    new_text, updated, missing = replace_sections(text, render_sections(res, report_path),
                                                  report_path)
    if new_text != text:
        _write_atomic(report_path, new_text)
    return updated, missing, new_text != text


def main(argv=None):
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("results_dir", metavar="RESULTS_DIR", help="a bench_all results folder")
    parser.add_argument("report", metavar="REPORT_MD", help="the Markdown report to update")
    parser.add_argument("--init", action="store_true",
                        help="create REPORT_MD with every section's markers if it does not exist")
    args = parser.parse_args(argv)
    try:
        updated, missing, changed = update_report(args.results_dir, args.report, args.init)
    except (results.ResultsError, ReportError) as e:
        print(f"report.py: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"report.py: error: {args.report}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    msg = (f"report.py: {args.report}: {len(updated)} generated section(s) "
           + ("rewritten" if changed else "already up to date"))
    if missing:
        msg += f"; no markers for: {', '.join(missing)} (left alone)"
    print(msg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
