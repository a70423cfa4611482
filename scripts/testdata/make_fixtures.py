#!/usr/bin/python3
"""Writes the fixture results folders under scripts/testdata/.

The fixtures are committed; this script documents how they were made and
remakes them byte for byte (fixed seeds, no clock). They follow
harness/RESULTS.md: the accuracy metrics are computed from the generated bins
by the definitions there, so the reader's consistency checks pass on them.

    /usr/bin/python3 scripts/testdata/make_fixtures.py
"""

import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

DEFAULT_EVENTS = ["cycles", "instructions", "cache-misses", "L1-dcache-load-misses",
                  "context-switches", "cpu-migrations"]
HARDWARE = DEFAULT_EVENTS[:4]
NO_PMU = "no hardware PMU: perf_event_open ENOENT"


def sig(x, digits=6):
    """x rounded to a few significant digits: keeps the fixtures small."""
    return float(f"{x:.{digits}g}")


def rounded(doc):
    if isinstance(doc, float):
        return sig(doc, 9)
    if isinstance(doc, dict):
        return {k: rounded(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [rounded(v) for v in doc]
    return doc


def write_json(folder, name, doc, records_per_line=False, list_key="records"):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    doc = rounded(doc)
    if records_per_line:
        # One record per line: small files that still diff well.
        lines = [json.dumps(r, separators=(",", ":")) for r in doc[list_key]]
        head = json.dumps({k: v for k, v in doc.items() if k != list_key}, separators=(",", ":"))
        text = (head[:-1] + ("," if len(head) > 2 else "") + f'"{list_key}":[\n'
                + ",\n".join(lines) + "\n]}\n")
    else:
        text = json.dumps(doc, indent=1) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------- run/machine

def run_doc(run_id, variants, threads, reps, cpus, status, done, total, finished):
    return {"schema_version": 1, "run_id": run_id, "status": status,
            "started_utc": "2026-12-04T20:00:00Z", "finished_utc": finished,
            "argv": ["bench_all", "--quick", "--repetitions", str(reps)],
            "flags": {"variants": ",".join(variants), "threads": threads,
                      "duration_s": 0.2, "warmup_s": 0.05, "repetitions": reps,
                      "experiments": ["scaling", "accuracy", "percall"],
                      "events": DEFAULT_EVENTS, "cpus": cpus, "tick_us": 100,
                      "quick": True},
            "points_total": total, "points_done": done}


def machine_doc(host, cpus, cores_per_package, hardware, virtualized):
    counters = {}
    for e in DEFAULT_EVENTS:
        ok = hardware or e not in HARDWARE
        counters[e] = {"available": ok, "reason": None if ok else NO_PMU}
    return {"schema_version": 1, "hostname": host,
            "cpu_model": "AMD EPYC 7B13 64-Core Processor" if virtualized
            else "Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz",
            "online_cpus": cpus,
            "topology": [{"cpu": c, "core_id": c % cores_per_package, "package_id": 0}
                         for c in cpus],
            "kernel": "Linux 6.1.0-27-amd64 x86_64", "glibc": "2.36",
            "compiler": "GNU 12.2.0", "cxx_flags": "-O3 -DNDEBUG", "build_type": "Release",
            "git_revision": "0123456789abcdef0123456789abcdef01234567",
            "git_dirty": not virtualized,
            "libraries": {"abseil": "20220623", "benchmark": "1.7.1", "libpfm4": "4.13.0"},
            "virtualized": virtualized, "perf_event_paranoid": 2 if virtualized else 1,
            "rseq_registered": True, "counters": counters}


# ---------------------------------------------------------------- scaling

# attempts/s of the whole team at 1 thread, and how it scales: X(N) = X1 * N / D(N)
SCALING_MODEL = {
    "null": (2.0e8, 0.0, 0.0),
    "single_atomic": (6.0e7, 0.9, 0.05),
    "token_bucket": (3.5e7, 0.6, 0.04),
    "sharded_padded": (1.2e8, 0.02, 0.001),
}


def model_throughput(variant, regime, n, cpus):
    x1, sigma, kappa = SCALING_MODEL[variant]
    if regime == "reject":
        x1 *= 1.5   # the reject path skips the CAS in these fixtures
    eff_n = min(n, cpus)   # oversubscribed threads time-share the CPUs
    return x1 * eff_n / (1 + sigma * (eff_n - 1) + kappa * eff_n * (eff_n - 1))


def counters_for(rng, attempts, threads, cpus, hardware, multiplexed):
    out = []
    oversub = threads > cpus
    per_op_model = {"cycles": 9.5, "instructions": 21.0, "cache-misses": 0.02 * threads,
                    "L1-dcache-load-misses": 0.3 * threads}
    for e in DEFAULT_EVENTS:
        enabled = 200000000
        if e in HARDWARE and not hardware:
            out.append({"event": e, "value": None, "per_op": None,
                        "time_enabled_ns": None, "time_running_ns": None,
                        "multiplexed": None, "reason": NO_PMU})
            continue
        if e in HARDWARE:
            value = float(round(attempts * per_op_model[e] * rng.uniform(0.97, 1.03)))
        elif e == "context-switches":
            value = float(threads * 2 + (40 * threads if oversub else 0) + rng.randint(0, 3))
        else:
            value = float(rng.randint(0, 2) if not oversub else rng.randint(3, 9))
        mux = multiplexed and e in HARDWARE
        running = enabled * 3 // 4 if mux else enabled
        out.append({"event": e, "value": value, "per_op": sig(value / attempts),
                    "time_enabled_ns": enabled, "time_running_ns": running,
                    "multiplexed": mux, "reason": None})
    return out


def scaling_record(rng, variant, regime, threads, rep, cpus, hardware, mux_above=None):
    duration = 200000000 + rng.randint(0, 400000)
    rate = model_throughput(variant, regime, threads, cpus) * rng.uniform(0.96, 1.04)
    total = int(rate * duration / 1e9)
    limit = 10**12 if regime == "admit" else 1000
    # Split attempts unevenly across threads, as real schedulers do.
    weights = [rng.uniform(0.85, 1.15) for _ in range(threads)]
    per = [int(total * w / sum(weights)) for w in weights]
    per[0] += total - sum(per)
    if regime == "admit" or variant == "null":
        adm = list(per)
    else:
        budget = int(limit * duration / 1e9)           # permits granted in the run
        aw = [rng.uniform(0.6, 1.4) for _ in range(threads)]
        adm = [int(budget * w / sum(aw)) for w in aw]
        adm[0] += budget - sum(adm)
    per_thread = []
    for t in range(threads):
        cpu = t % cpus
        per_thread.append({"thread": t, "cpu_requested": cpu, "cpus_seen": [cpu],
                           "attempts": per[t], "admitted": adm[t]})
    mux = mux_above is not None and threads > mux_above
    return {"variant": variant, "regime": regime, "threads": threads,
            "oversubscribed": threads > cpus, "repetition": rep,
            "limits": {"limit": limit, "window_ns": 1000000000, "burst": limit},
            "duration_ns": duration, "attempts": total, "admitted": sum(adm),
            "per_thread": per_thread,
            "counters": counters_for(rng, total, threads, cpus, hardware, mux)}


def scaling_doc(rng, variants, threads, reps, cpus, hardware, regimes=("admit", "reject"),
                mux_above=None, keep=None):
    records = []
    for rep in range(reps):
        for regime in regimes:
            for n in threads:
                for v in variants:   # variants interleaved, as bench_all does
                    if keep is None or keep(v, regime, n, rep):
                        records.append(scaling_record(rng, v, regime, n, rep, cpus,
                                                      hardware, mux_above))
    return {"schema_version": 1, "records": records}


# ---------------------------------------------------------------- accuracy

LIMIT, WINDOW_NS, BIN_NS, N_BINS = 1000, 10000000, 1000000, 30
WIN = WINDOW_NS // BIN_NS
R_PER_BIN = LIMIT / WIN          # permits per bin at the limit rate


def offered_per_bin(rng, pattern, ratio, b, phase):
    if pattern == "saturating":
        return 40000 + rng.randint(0, 2000)
    if pattern == "paced":
        return int(round(ratio * R_PER_BIN * rng.uniform(0.95, 1.05)))
    # on/off: 7 bins on at 3x R, 6 off: a 13-bin period that drifts across windows
    return int(3 * R_PER_BIN) if (b + phase) % 13 < 7 else 0


def simulate(variant, offered):
    """Admitted per bin, simulating each limiter at bin resolution."""
    admitted, used, tokens = [], 0, float(LIMIT)
    for b, want in enumerate(offered):
        if variant == "null":
            got = want
        elif variant == "single_atomic" or variant == "sharded_padded":
            if b % WIN == 0:
                used = 0
            got = min(want, LIMIT - used)
            used += got
        else:   # token_bucket: burst LIMIT, refilled at R per bin
            tokens = min(float(LIMIT), tokens + (R_PER_BIN if b else 0))
            got = min(want, int(tokens))
            tokens -= got
        admitted.append(got)
    return admitted


PROMISES = {
    "null": {"kind": "unlimited", "exact": True, "burst": None, "interval_ns": None,
             "slack": None, "max_in_window": None},
    "single_atomic": {"kind": "fixed_window", "exact": True, "burst": LIMIT,
                      "interval_ns": WINDOW_NS, "slack": 0, "max_in_window": 2 * LIMIT},
    "sharded_padded": {"kind": "fixed_window", "exact": False, "burst": LIMIT,
                       "interval_ns": WINDOW_NS, "slack": 64, "max_in_window": 2 * LIMIT + 64},
    "token_bucket": {"kind": "token_bucket", "exact": True, "burst": LIMIT,
                     "interval_ns": WINDOW_NS, "slack": 0, "max_in_window": 2 * LIMIT},
}


def jain(xs):
    sq = sum(x * x for x in xs)
    return sum(xs) ** 2 / (len(xs) * sq) if sq else None


def accuracy_record(rng, variant, pattern, ratio, threads, rep):
    offered = [offered_per_bin(rng, pattern, ratio, b, 3 * rep) for b in range(N_BINS)]
    bins = simulate(variant, offered)
    admitted = sum(bins)
    attempts = sum(offered)
    weights = [rng.uniform(0.8, 1.2) for _ in range(threads)]
    pta = [int(admitted * w / sum(weights)) for w in weights]
    pta[0] += admitted - sum(pta)
    sums = [sum(bins[i:i + WIN]) for i in range(N_BINS - WIN + 1)]
    promise = PROMISES[variant]
    bound = promise["max_in_window"]
    elapsed = N_BINS * BIN_NS
    below = pattern == "paced" and ratio < 1       # offered load below R
    at_or_above = not below
    rate_r = LIMIT / (WINDOW_NS / 1e9)
    metrics = {
        "overshoot_vs_limit": max(sums) / LIMIT - 1,
        "overshoot_vs_promise": None if bound is None else max(sums) / bound - 1,
        "rate_error": None if below else (admitted / (elapsed / 1e9)) / rate_r - 1,
        "false_rejections": None if at_or_above else (attempts - admitted) / attempts,
        "promise_violations": None if bound is None else sum(1 for s in sums if s > bound),
        "jain": jain(pta),
        "min_max_ratio": min(pta) / max(pta) if max(pta) else None,
    }
    return {"variant": variant, "pattern": pattern, "offered_ratio": ratio,
            "threads": threads, "repetition": rep,
            "limits": {"limit": LIMIT, "window_ns": WINDOW_NS, "burst": LIMIT},
            "bin_ns": BIN_NS, "elapsed_ns": elapsed, "attempts": attempts,
            "admitted": admitted, "rejected": attempts - admitted, "bins": bins,
            "per_thread_admitted": pta, "promise": promise, "metrics": metrics}


ALL_LOADS = [("saturating", None), ("paced", 0.5), ("paced", 1), ("paced", 2),
             ("paced", 10), ("onoff", None)]


def accuracy_doc(rng, variants, loads, threads_list, reps):
    records = [accuracy_record(rng, v, p, r, n, rep)
               for rep in range(reps) for (p, r) in loads for n in threads_list
               for v in variants]
    return {"schema_version": 1, "records": records}


# ---------------------------------------------------------------- percall

PERCALL_NS = {"null": (0.31, 0.35), "single_atomic": (5.2, 1.9),
              "token_bucket": (9.8, 4.1), "sharded_padded": (3.3, 1.2)}
PRIMITIVE_NS = {"steady_clock": 19.5, "coarse_clock": 4.2, "sched_getcpu": 11.0,
                "rseq_cpu_id": 0.9}


def percall_doc(rng, variants, reps, aggregates_only=False, us_primitives=False):
    benches, family = [], 0
    names = [("BM_Admit/" + v, PERCALL_NS[v][0]) for v in variants]
    names += [("BM_Reject/" + v, PERCALL_NS[v][1]) for v in variants if v != "null"]
    names += [("BM_Primitive/" + p, ns) for p, ns in PRIMITIVE_NS.items()]
    for name, ns in names:
        unit, scale = ("us", 1e-3) if us_primitives and "Primitive" in name else ("ns", 1.0)
        samples = [ns * rng.uniform(0.97, 1.03) for _ in range(reps)]
        common = {"family_index": family, "per_family_instance_index": 0, "run_name": name}
        family += 1
        if not aggregates_only:
            for i, t in enumerate(samples):
                benches.append({"name": name, **common, "run_type": "iteration",
                                "repetitions": reps, "repetition_index": i, "threads": 1,
                                "iterations": int(1e9 / t / 2), "real_time": t * scale,
                                "cpu_time": t * scale * 1.001, "time_unit": unit})
        if reps > 1:
            mean = sum(samples) / reps
            med = sorted(samples)[reps // 2] if reps % 2 else sum(sorted(samples)[reps // 2 - 1:
                                                                            reps // 2 + 1]) / 2
            sd = (sum((s - mean) ** 2 for s in samples) / (reps - 1)) ** 0.5
            for agg, val in (("mean", mean), ("median", med), ("stddev", sd)):
                benches.append({"name": f"{name}_{agg}", **common, "run_type": "aggregate",
                                "repetitions": reps, "threads": 1, "aggregate_name": agg,
                                "aggregate_unit": "time", "iterations": reps,
                                "real_time": val * scale, "cpu_time": val * scale * 1.001,
                                "time_unit": unit})
    return {"context": {"date": "2026-12-04T20:03:11+00:00", "host_name": "fixture",
                        "executable": "./build/harness/bench_all", "num_cpus": 2,
                        "mhz_per_cpu": 2450, "cpu_scaling_enabled": False,
                        "caches": [{"type": "Data", "level": 1, "size": 32768,
                                    "num_sharing": 1}],
                        "load_avg": [0.21, 0.3, 0.25], "library_build_type": "release"},
            "benchmarks": benches}


# ---------------------------------------------------------------- fixtures

def small_run(folder):
    rng = random.Random(1)
    variants = ["null", "single_atomic", "token_bucket"]
    threads, reps, cpus = [1, 2, 4], 2, [0, 1]
    total = len(variants) * 2 * len(threads) * reps + len(variants) * 6 * reps + 1
    write_json(folder, "run.json", run_doc("20261204T200000Z-fixture", variants, threads, reps,
                                           cpus, "complete", total, total,
                                           "2026-12-04T20:03:12Z"))
    write_json(folder, "machine.json", machine_doc("fixture", cpus, 2, False, True))
    write_json(folder, "scaling.json", scaling_doc(rng, variants, threads, reps, 2, False), True)
    write_json(folder, "accuracy.json", accuracy_doc(rng, variants, ALL_LOADS, [2], reps), True)
    write_json(folder, "percall.json", percall_doc(rng, variants, reps), True, "benchmarks")


def hw_counters(folder):
    rng = random.Random(2)
    variants = ["single_atomic", "sharded_padded"]
    threads, reps, cpus = [1, 2, 4, 8], 1, [0, 1, 2, 3]
    total = len(variants) * 2 * len(threads) + len(variants) * 2 + 1
    write_json(folder, "run.json", run_doc("20261205T090000Z-laptop", variants, threads, reps,
                                           cpus, "complete", total, total,
                                           "2026-12-05T09:01:40Z"))
    write_json(folder, "machine.json", machine_doc("laptop", cpus, 2, True, False))
    write_json(folder, "scaling.json",
               scaling_doc(rng, variants, threads, reps, 4, True, mux_above=4), True)
    write_json(folder, "accuracy.json",
               accuracy_doc(rng, variants, [("saturating", None), ("paced", 2)], [4], reps), True)
    write_json(folder, "percall.json",
               percall_doc(rng, variants, 3, aggregates_only=True, us_primitives=True),
               True, "benchmarks")


def interrupted(folder):
    rng = random.Random(3)
    variants = ["null", "single_atomic", "token_bucket"]
    threads, reps, cpus = [1, 2, 4], 2, [0, 1]
    total = len(variants) * 2 * len(threads) * reps + len(variants) * 6 * reps + 1

    def keep(v, regime, n, rep):   # stopped by SIGINT part way through the first sweep
        return regime == "admit" and rep == 0 and (n < 2 or v != "token_bucket") and n < 4

    doc = scaling_doc(rng, variants, threads, reps, 2, False, keep=keep)
    done = len(doc["records"])
    write_json(folder, "run.json", run_doc("20261204T210000Z-fixture", variants, threads, reps,
                                           cpus, "interrupted", done, total,
                                           "2026-12-04T21:00:04Z"))
    machine = machine_doc("fixture", cpus, 2, False, True)
    # As in a container without sysfs topology or a "flags" line in cpuinfo.
    machine["topology"] = [{"cpu": c, "core_id": None, "package_id": None} for c in cpus]
    machine["virtualized"] = None
    write_json(folder, "machine.json", machine)
    write_json(folder, "scaling.json", doc, True)


def broken(base):
    """Folders that must be refused, each with one thing wrong."""
    rng = random.Random(4)
    variants, cpus = ["single_atomic"], [0, 1]
    run = run_doc("20261204T220000Z-fixture", variants, [1], 1, cpus, "running", 1, 4, None)
    machine = machine_doc("fixture", cpus, 2, False, True)
    scaling = scaling_doc(rng, variants, [1], 1, 2, False, regimes=("admit",))

    folder = os.path.join(base, "broken_truncated")
    write_json(folder, "run.json", run)
    write_json(folder, "machine.json", machine)
    write_json(folder, "scaling.json", scaling, True)
    path = os.path.join(folder, "scaling.json")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[: len(text) // 2])   # as if the copy was cut short

    folder = os.path.join(base, "broken_missing")
    write_json(folder, "run.json", run)   # machine.json is not there
    write_json(folder, "scaling.json", scaling, True)

    folder = os.path.join(base, "broken_key")
    bad = json.loads(json.dumps(scaling))
    del bad["records"][0]["attempts"]
    write_json(folder, "run.json", run)
    write_json(folder, "machine.json", machine)
    write_json(folder, "scaling.json", bad, True)


def main():
    makers = {"small_run": small_run, "hw_counters": hw_counters, "interrupted": interrupted}
    for name, make in makers.items():
        folder = os.path.join(HERE, name)
        shutil.rmtree(folder, ignore_errors=True)
        make(folder)
    for name in ("broken_truncated", "broken_missing", "broken_key"):
        shutil.rmtree(os.path.join(HERE, name), ignore_errors=True)
    broken(HERE)


if __name__ == "__main__":
    main()
