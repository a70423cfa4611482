"""Reader for the raw results folder that bench_all writes.

The schema is harness/RESULTS.md. `load(path)` reads run.json, machine.json,
scaling.json, accuracy.json and percall.json, checks them against the schema
and returns a `Results`. Anything wrong with the files becomes a ResultsError
whose message starts with the file's path, so the command-line tools can print
one line instead of a traceback.

The aggregation helpers below are shared by plot.py and report.py, so that a
figure and the table printed beside it can never disagree.

Spread convention: every summary is the median over repetitions together
with the minimum and the maximum over the same repetitions (not an IQR).
With the default of 5 repetitions a quartile rests on one or two samples,
while min..max shows everything that was seen, outliers included.
"""

import json
import math
import os
import statistics
from dataclasses import dataclass, field

SCHEMA_VERSION = 1

REGIMES = ("admit", "reject")
PATTERNS = ("saturating", "paced", "onoff")
STATUSES = ("running", "complete", "interrupted", "failed")

# The events bench_all opens by default (DESIGN.md, "Counters"); figures and
# tables always show these, in this order, before any vendor event.
DEFAULT_EVENTS = ("cycles", "instructions", "cache-misses",
                  "L1-dcache-load-misses", "context-switches", "cpu-migrations")

# Which file each experiment writes. A file may be absent when its experiment
# was not selected or the run stopped before reaching it.
EXPERIMENT_FILES = (("scaling", "scaling.json"),
                    ("accuracy", "accuracy.json"),
                    ("percall", "percall.json"))

# Google Benchmark's time_unit values, as nanoseconds.
TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class ResultsError(Exception):
    """A results folder that cannot be read: the message names file and problem."""


# --------------------------------------------------------------------------
# A tiny schema checker. Each checker is a function (value, path) that raises
# _Invalid(path, message); load() turns that into a ResultsError naming the file.

class _Invalid(Exception):
    def __init__(self, path, message):
        super().__init__(f"{path}: {message}" if path else message)


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_number(v):
    # bool is an int subclass in Python but never a number in JSON.
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_integer(v):
    # Accept 2.0 as well as 2: a C++ writer printing a double must not break us.
    return _is_number(v) and float(v).is_integer()


def _scalar(description, predicate):
    def check(value, path):
        if not predicate(value):
            if isinstance(value, float) and not math.isfinite(value):
                raise _Invalid(path, f"expected {description}, got {value!r} "
                                     "(unmeasured numbers must be null)")
            raise _Invalid(path, f"expected {description}, got {_kind(value)}")
    return check


INT = _scalar("an integer", _is_integer)
NUM = _scalar("a finite number", _is_number)
STR = _scalar("a string", lambda v: isinstance(v, str))
BOOL = _scalar("a boolean", lambda v: isinstance(v, bool))
POS_INT = _scalar("a positive integer", lambda v: _is_integer(v) and v > 0)
NONNEG_INT = _scalar("a non-negative integer", lambda v: _is_integer(v) and v >= 0)


def _nullable(inner):
    def check(value, path):
        if value is not None:
            inner(value, path)
    return check


def _enum(*allowed):
    def check(value, path):
        if value not in allowed:
            names = ", ".join(repr(a) for a in allowed)
            raise _Invalid(path, f"expected one of {names}, got {value!r}")
    return check


def _either(*checks, description):
    def check(value, path):
        for c in checks:
            try:
                c(value, path)
                return
            except _Invalid:
                pass
        raise _Invalid(path, f"expected {description}, got {_kind(value)}")
    return check


def _list(inner):
    def check(value, path):
        if not isinstance(value, list):
            raise _Invalid(path, f"expected an array, got {_kind(value)}")
        for i, item in enumerate(value):
            inner(item, f"{path}[{i}]")
    return check


def _mapping(inner):
    def check(value, path):
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected an object, got {_kind(value)}")
        for key, item in value.items():
            inner(item, f"{path}.{key}" if path else key)
    return check


def _obj(required, optional=None):
    """An object with these keys; keys the schema does not name are allowed,
    so a newer bench_all that adds fields still reads."""
    optional = optional or {}

    def check(value, path):
        if not isinstance(value, dict):
            raise _Invalid(path, f"expected an object, got {_kind(value)}")
        for key, inner in required.items():
            if key not in value:
                raise _Invalid(path, f"missing key {key!r}")
            inner(value[key], f"{path}.{key}" if path else key)
        for key, inner in optional.items():
            if key in value:
                inner(value[key], f"{path}.{key}" if path else key)
    return check


def _versioned(body):
    def check(value, path):
        if not isinstance(value, dict):
            raise _Invalid(path, f"top level must be an object, got {_kind(value)}")
        if "schema_version" not in value:
            raise _Invalid(path, "missing key 'schema_version'")
        if value["schema_version"] != SCHEMA_VERSION or isinstance(value["schema_version"], bool):
            raise _Invalid(path, f"schema_version is {value['schema_version']!r}; "
                                 f"this reader understands {SCHEMA_VERSION}")
        body(value, path)
    return check


# Every limiter rejects L, W or B below 1 at creation, so a record holding one
# is damaged; the metrics divide by L.
_LIMITS = _obj({"limit": POS_INT, "window_ns": POS_INT, "burst": POS_INT})

RUN_SCHEMA = _versioned(_obj({
    "run_id": STR,
    "status": _enum(*STATUSES),
    "started_utc": STR,
    "finished_utc": _nullable(STR),
    "argv": _list(STR),
    "flags": _obj({
        "variants": _either(STR, _list(STR), description="a string or an array of strings"),
        "threads": _list(POS_INT),
        "duration_s": NUM,
        "warmup_s": NUM,
        "repetitions": POS_INT,
        "experiments": _list(STR),
        "events": _list(STR),
        "cpus": _list(NONNEG_INT),
        "tick_us": NUM,
        "quick": BOOL,
    }),
    "points_total": NONNEG_INT,
    "points_done": NONNEG_INT,
}))

MACHINE_SCHEMA = _versioned(_obj({
    "hostname": _nullable(STR),
    "cpu_model": _nullable(STR),
    "online_cpus": _list(NONNEG_INT),
    # bench_all writes null ids where sysfs has no topology (some containers).
    "topology": _list(_obj({"cpu": NONNEG_INT, "core_id": _nullable(INT),
                            "package_id": _nullable(INT)})),
    "kernel": _nullable(STR),
    "glibc": _nullable(STR),
    "compiler": _nullable(STR),
    "cxx_flags": _nullable(STR),
    "build_type": _nullable(STR),
    "git_revision": _nullable(STR),
    "git_dirty": _nullable(BOOL),
    "libraries": _mapping(_nullable(STR)),
    "virtualized": _nullable(BOOL),
    "perf_event_paranoid": _nullable(INT),
    "rseq_registered": _nullable(BOOL),
    "counters": _mapping(_obj({"available": BOOL, "reason": _nullable(STR)})),
}, {
    # Runs with a store-backed variant; null or absent otherwise.
    "redis": _nullable(_obj({"address": STR, "started_by_bench_all": BOOL,
                             "version": _nullable(STR), "variants": _mapping(STR)})),
}))

# Added with the store-backed variants; runs from before them lack these.
_STORE_FIELDS = {"processes": POS_INT, "store_refusals": NONNEG_INT}

_COUNTER = _obj({
    "event": STR,
    "value": _nullable(NUM),
    "per_op": _nullable(NUM),
    "time_enabled_ns": _nullable(NUM),
    "time_running_ns": _nullable(NUM),
    "multiplexed": _nullable(BOOL),
    "reason": _nullable(STR),
})

SCALING_SCHEMA = _versioned(_obj({"records": _list(_obj({
    "variant": STR,
    "regime": _enum(*REGIMES),
    "threads": POS_INT,
    "oversubscribed": BOOL,
    "repetition": NONNEG_INT,
    "limits": _LIMITS,
    "duration_ns": POS_INT,
    "attempts": NONNEG_INT,
    "admitted": NONNEG_INT,
    "per_thread": _list(_obj({
        "thread": NONNEG_INT,
        "cpu_requested": _nullable(NONNEG_INT),
        "cpus_seen": _list(INT),
        "attempts": NONNEG_INT,
        "admitted": NONNEG_INT,
    }, {"process": NONNEG_INT, "store_refusals": NONNEG_INT})),
    "counters": _list(_COUNTER),
}, _STORE_FIELDS))}))

_METRICS = _obj({
    "overshoot_vs_limit": _nullable(NUM),
    "overshoot_vs_promise": _nullable(NUM),
    "rate_error": _nullable(NUM),
    "false_rejections": _nullable(NUM),
    "promise_violations": _nullable(NONNEG_INT),
    "jain": _nullable(NUM),
    "min_max_ratio": _nullable(NUM),
})

ACCURACY_SCHEMA = _versioned(_obj({"records": _list(_obj({
    "variant": STR,
    "pattern": _enum(*PATTERNS),
    "offered_ratio": _nullable(NUM),
    "threads": POS_INT,
    "repetition": NONNEG_INT,
    "limits": _LIMITS,
    "bin_ns": POS_INT,
    "elapsed_ns": POS_INT,
    "attempts": NONNEG_INT,
    "admitted": NONNEG_INT,
    "rejected": NONNEG_INT,
    "bins": _list(NONNEG_INT),
    "per_thread_admitted": _list(NONNEG_INT),
    # A variant without a bound (null) may state none: numbers are nullable.
    "promise": _obj({"kind": STR, "exact": BOOL, "burst": _nullable(NUM),
                     "interval_ns": _nullable(NUM), "slack": _nullable(NUM),
                     "max_in_window": _nullable(NUM)}),
    "metrics": _METRICS,
}, _STORE_FIELDS))}))

# percall.json is Google Benchmark's JSON unchanged, so it has no
# schema_version; only the fields we read are checked. Google Benchmark
# prints NaN for undefined user counters, so numbers here are not all finite.
PERCALL_SCHEMA = _obj({
    "context": _obj({}),
    "benchmarks": _list(_obj(
        {"name": STR},
        {"run_name": STR, "run_type": STR, "aggregate_name": STR,
         "iterations": NUM, "real_time": NUM, "cpu_time": NUM,
         "time_unit": _enum(*TIME_UNIT_NS), "error_occurred": BOOL,
         "error_message": STR, "repetition_index": INT})),
})


# --------------------------------------------------------------------------
# Loading

@dataclass
class Results:
    path: str
    run: dict
    machine: dict
    scaling: list = field(default_factory=list)    # scaling.json records
    accuracy: list = field(default_factory=list)   # accuracy.json records
    percall: dict = None                           # Google Benchmark JSON or None
    absent: list = field(default_factory=list)     # (file, why) for files not there
    warnings: list = field(default_factory=list)   # consistency problems, as text

    @property
    def status(self):
        return self.run["status"]

    @property
    def online_cpus(self):
        return len(self.machine["online_cpus"])

    @property
    def cpus_used(self):
        """How many CPUs the threads were pinned to: above this a point is
        oversubscribed. flags.cpus narrows the online set when given."""
        return len(self.run["flags"]["cpus"]) or self.online_cpus

    @property
    def variants(self):
        """Variants in order of first appearance (bench_all walks its registry
        in order), so every figure and table lists them the same way."""
        seen = {}
        for r in self.scaling + self.accuracy:
            seen.setdefault(r["variant"], None)
        for p in percall_points(self):
            if p.group in ("Admit", "Reject"):
                seen.setdefault(p.label, None)
        return list(seen)


def _read_json(path):
    name = path
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise ResultsError(f"{name}: missing file") from None
    except OSError as e:
        raise ResultsError(f"{name}: cannot read: {e.strerror}") from None
    if not raw.strip():
        raise ResultsError(f"{name}: empty file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResultsError(f"{name}: not UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        # A whole JSON object ends in '}'; anything else was cut short.
        what = "malformed JSON" if text.rstrip().endswith("}") else "truncated JSON"
        raise ResultsError(f"{name}: {what} ({e.msg}, line {e.lineno} "
                           f"column {e.colno})") from None


def _load_checked(path, schema):
    doc = _read_json(path)
    try:
        schema(doc, "")
    except _Invalid as e:
        raise ResultsError(f"{path}: {e}") from None
    return doc


def load(path):
    """Read and validate a results folder; raise ResultsError on any problem."""
    if not os.path.isdir(path):
        raise ResultsError(f"{path}: not a results folder (no such directory)")
    run = _load_checked(os.path.join(path, "run.json"), RUN_SCHEMA)
    machine = _load_checked(os.path.join(path, "machine.json"), MACHINE_SCHEMA)
    res = Results(path=path, run=run, machine=machine)
    schemas = {"scaling": SCALING_SCHEMA, "accuracy": ACCURACY_SCHEMA,
               "percall": PERCALL_SCHEMA}
    for experiment, filename in EXPERIMENT_FILES:
        file_path = os.path.join(path, filename)
        selected = experiment in run["flags"]["experiments"]
        if not os.path.exists(file_path):
            # A complete run must have written every selected experiment.
            if selected and run["status"] == "complete":
                raise ResultsError(f"{file_path}: missing file (run.json says the run "
                                   f"is complete and '{experiment}' was selected)")
            why = ("not selected" if not selected
                   else f"not reached (run {run['status']})")
            res.absent.append((filename, why))
            continue
        doc = _load_checked(file_path, schemas[experiment])
        if experiment == "percall":
            res.percall = doc
        else:
            setattr(res, experiment, doc["records"])
    res.warnings = _consistency_warnings(res)
    return res


# --------------------------------------------------------------------------
# Consistency checks. A broken invariant is reported, not fatal: the numbers
# are still worth plotting, but the report must say they do not add up.

class _Tally:
    """Groups identical complaints so the report says '12 records' once."""

    def __init__(self):
        self.found = {}

    def add(self, file, problem, where):
        self.found.setdefault((file, problem), []).append(where)

    def lines(self):
        out = []
        for (file, problem), where in self.found.items():
            first = where[0]
            more = f" and {len(where) - 1} more" if len(where) > 1 else ""
            out.append(f"{file}: {problem} ({first}{more})")
        return out


def _close(a, b, rel=1e-6, abs_tol=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)


def _check_scaling(res, tally):
    seen = set()
    for i, r in enumerate(res.scaling):
        where = f"records[{i}]"
        key = (r["variant"], r["regime"], r["threads"], r["repetition"])
        if key in seen:
            tally.add("scaling.json", "duplicate (variant, regime, threads, repetition)", where)
        seen.add(key)
        pt = r["per_thread"]
        if len(pt) != r["threads"]:
            tally.add("scaling.json", "per_thread length differs from threads", where)
        if sum(t["attempts"] for t in pt) != r["attempts"]:
            tally.add("scaling.json", "attempts is not the sum of per_thread attempts", where)
        if sum(t["admitted"] for t in pt) != r["admitted"]:
            tally.add("scaling.json", "admitted is not the sum of per_thread admitted", where)
        if r["admitted"] > r["attempts"]:
            tally.add("scaling.json", "admitted exceeds attempts", where)
        if r["oversubscribed"] != (r["threads"] > res.cpus_used):
            tally.add("scaling.json", f"oversubscribed flag disagrees with {res.cpus_used} CPUs used",
                      where)
        for c in r["counters"]:
            if c["value"] is None and not c["reason"]:
                tally.add("scaling.json", "null counter value without a reason", where)
            if (c["value"] is not None and c["per_op"] is not None and r["attempts"] > 0
                    and not _close(c["per_op"], c["value"] / r["attempts"], rel=1e-3)):
                tally.add("scaling.json", f"{c['event']}: per_op is not value / attempts", where)


def window_sums(bins, width):
    """Sums of every run of `width` consecutive bins (a sliding window)."""
    if width <= 0 or len(bins) < width:
        return []
    csum = [0]
    for b in bins:
        csum.append(csum[-1] + b)
    return [csum[i + width] - csum[i] for i in range(len(bins) - width + 1)]


def window_bins(record):
    """W / bin_ns as a whole number of bins, or None when it is not whole."""
    ratio = record["limits"]["window_ns"] / record["bin_ns"]
    return int(round(ratio)) if _close(ratio, round(ratio)) and ratio >= 1 else None


def _check_accuracy(tally, records):
    for i, r in enumerate(records):
        where = f"records[{i}]"
        if r["admitted"] + r["rejected"] != r["attempts"]:
            tally.add("accuracy.json", "admitted + rejected differs from attempts", where)
        if sum(r["bins"]) != r["admitted"]:
            tally.add("accuracy.json", "bins do not sum to admitted", where)
        if sum(r["per_thread_admitted"]) != r["admitted"]:
            tally.add("accuracy.json", "per_thread_admitted does not sum to admitted", where)
        if len(r["per_thread_admitted"]) != r["threads"]:
            tally.add("accuracy.json", "per_thread_admitted length differs from threads", where)
        ratio = r["offered_ratio"]
        if (r["pattern"] == "paced" and ratio is None) or (r["pattern"] == "saturating"
                                                          and ratio is not None):
            tally.add("accuracy.json", "offered_ratio missing for paced load or set for "
                                       "saturating load", where)
        width = window_bins(r)
        sums = window_sums(r["bins"], width) if width else []
        m = r["metrics"]
        # Recompute the overshoot from the raw bins: it cross-checks the
        # C++ metric code against RESULTS.md's definition.
        if sums and m["overshoot_vs_limit"] is not None:
            mine = max(sums) / r["limits"]["limit"] - 1
            if not _close(mine, m["overshoot_vs_limit"], rel=1e-6, abs_tol=1e-6):
                tally.add("accuracy.json", "overshoot_vs_limit differs from the one "
                                           "recomputed from bins", where)
        bound = r["promise"]["max_in_window"]
        if sums and m["promise_violations"] is not None and bound is not None:
            mine = sum(1 for s in sums if s > bound)
            if mine != m["promise_violations"]:
                tally.add("accuracy.json", "promise_violations differs from the count "
                                           "recomputed from bins", where)


def _consistency_warnings(res):
    tally = _Tally()
    _check_scaling(res, tally)
    _check_accuracy(tally, res.accuracy)
    return tally.lines()


# --------------------------------------------------------------------------
# Statistics

@dataclass(frozen=True)
class Spread:
    """Median over repetitions with min and max (see the module docstring)."""
    median: float
    lo: float
    hi: float
    n: int

    def scaled(self, factor):
        return Spread(self.median * factor, self.lo * factor, self.hi * factor, self.n)


def summarize(values):
    """Spread of the non-null values, or None when none was measured."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return Spread(float(statistics.median(vals)), float(min(vals)), float(max(vals)), len(vals))


def jain(values):
    """Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all equal,
    1/n when one takes everything; None when there is nothing to share."""
    xs = [float(v) for v in values]
    sq = sum(x * x for x in xs)
    if not xs or sq == 0:
        return None
    return sum(xs) ** 2 / (len(xs) * sq)


def min_max_ratio(values):
    """min/max of the per-thread counts; None when all are zero."""
    xs = list(values)
    if not xs or max(xs) == 0:
        return None
    return min(xs) / max(xs)


_SI_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def si(x):
    """3 significant digits with an SI prefix: 12345678 -> '12.3M'. Shared by
    the report's tables and the figures' axes so both print numbers alike."""
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    for scale, prefix in _SI_PREFIXES:
        # 999.7 rounds to 1e3 at 3 digits: it is 1k, not '1e+03'.
        if abs(x) >= scale * 0.9995:
            return f"{x / scale:.3g}{prefix}"
    return f"{x:.3g}"


def throughput(record):
    """Attempts per second of one scaling record (RESULTS.md's definition)."""
    return record["attempts"] / (record["duration_ns"] / 1e9)


def admitted_rate(record):
    return record["admitted"] / (record["duration_ns"] / 1e9)


# --------------------------------------------------------------------------
# Aggregations

def _group(records, key):
    groups = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return groups


def _variant_rank(res):
    order = {v: i for i, v in enumerate(res.variants)}
    return lambda v: (order.get(v, len(order)), v)


@dataclass(frozen=True)
class ScalingPoint:
    variant: str
    regime: str
    threads: int
    oversubscribed: bool
    reps: int
    throughput: Spread        # attempts/s
    admitted: Spread          # admitted/s
    per_thread: Spread        # attempts/s per thread = throughput / threads
    efficiency: Spread        # X(N) / (N * median X(1)); None without a 1-thread point
    jain: Spread              # of per-thread admitted; None when nothing was admitted
    min_max: Spread           # min/max of per-thread admitted


def scaling_points(res):
    """One ScalingPoint per (variant, regime, threads), ordered by regime,
    variant (registry order) and threads."""
    groups = _group(res.scaling, lambda r: (r["variant"], r["regime"], int(r["threads"])))
    base = {}
    for (variant, regime, threads), recs in groups.items():
        if threads == 1:
            base[(variant, regime)] = statistics.median(throughput(r) for r in recs)
    points = []
    for (variant, regime, threads), recs in groups.items():
        x1 = base.get((variant, regime))
        eff = None
        if x1:
            eff = summarize(throughput(r) / (threads * x1) for r in recs)
        points.append(ScalingPoint(
            variant=variant, regime=regime, threads=threads,
            oversubscribed=any(r["oversubscribed"] for r in recs),
            reps=len(recs),
            throughput=summarize(throughput(r) for r in recs),
            admitted=summarize(admitted_rate(r) for r in recs),
            per_thread=summarize(throughput(r) / threads for r in recs),
            efficiency=eff,
            jain=summarize(jain(t["admitted"] for t in r["per_thread"]) for r in recs),
            min_max=summarize(min_max_ratio([t["admitted"] for t in r["per_thread"]])
                              for r in recs)))
    rank = _variant_rank(res)
    points.sort(key=lambda p: (REGIMES.index(p.regime), rank(p.variant), p.threads))
    return points


@dataclass(frozen=True)
class CounterInfo:
    event: str
    available: bool
    reason: str          # why not available (None when available)
    measured: bool       # whether the run asked for it at all


def counter_events(res):
    """Every event to show: the defaults first, then any other event named by
    the run, the machine description or the records, in that order."""
    names = list(DEFAULT_EVENTS)
    sources = [res.run["flags"]["events"], list(res.machine["counters"])]
    sources.append([c["event"] for r in res.scaling for c in r["counters"]])
    for source in sources:
        for e in source:
            if e not in names:
                names.append(e)
    return names


def counter_info(res):
    """Availability of each event, with the reason when it is not available.
    A value in any record proves availability; otherwise machine.json's word,
    then the first record's reason, is quoted."""
    infos = {}
    for event in counter_events(res):
        recs = [c for r in res.scaling for c in r["counters"] if c["event"] == event]
        machine = res.machine["counters"].get(event)
        has_value = any(c["per_op"] is not None for c in recs)
        requested = bool(recs) or machine is not None or event in res.run["flags"]["events"]
        if has_value:
            infos[event] = CounterInfo(event, True, None, True)
            continue
        reason = None
        if machine is not None and not machine["available"]:
            reason = machine["reason"]
        if reason is None:
            reason = next((c["reason"] for c in recs if c["reason"]), None)
        if reason is None:
            reason = "no value recorded" if recs else (
                "not measured in this run" if not requested else "no scaling records")
        infos[event] = CounterInfo(event, False, reason, requested)
    return infos


@dataclass(frozen=True)
class CounterPoint:
    variant: str
    regime: str
    threads: int
    oversubscribed: bool
    event: str
    per_op: Spread       # per attempt; None when not measured
    multiplexed: bool    # whether any repetition was scaled for multiplexing


def counter_points(res):
    rank = _variant_rank(res)
    groups = _group(res.scaling, lambda r: (r["variant"], r["regime"], int(r["threads"])))
    points = []
    for (variant, regime, threads), recs in groups.items():
        for event in counter_events(res):
            cs = [c for r in recs for c in r["counters"] if c["event"] == event]
            if not cs:
                continue
            points.append(CounterPoint(
                variant, regime, threads, any(r["oversubscribed"] for r in recs), event,
                summarize(c["per_op"] for c in cs), any(bool(c["multiplexed"]) for c in cs)))
    events = counter_events(res)
    points.sort(key=lambda p: (REGIMES.index(p.regime), rank(p.variant), p.threads,
                               events.index(p.event)))
    return points


ACCURACY_METRICS = ("overshoot_vs_limit", "overshoot_vs_promise", "rate_error",
                    "false_rejections", "promise_violations", "jain", "min_max_ratio")


def load_key(pattern, ratio):
    """Sort key for a load: saturating, paced by ratio, then on/off."""
    return (PATTERNS.index(pattern), -1.0 if ratio is None else float(ratio))


def load_label(pattern, ratio):
    if pattern == "saturating":
        return "saturating"
    name = "paced" if pattern == "paced" else "on/off"
    return name if ratio is None else f"{name} {float(ratio):g}×R"


@dataclass(frozen=True)
class AccuracyPoint:
    variant: str
    pattern: str
    offered_ratio: float
    threads: int
    reps: int
    metrics: dict        # metric name -> Spread or None (undefined for this load)

    @property
    def load(self):
        return load_label(self.pattern, self.offered_ratio)


def accuracy_points(res):
    def key(r):
        ratio = r["offered_ratio"]
        return (r["variant"], r["pattern"], None if ratio is None else float(ratio),
                int(r["threads"]))
    rank = _variant_rank(res)
    points = []
    for (variant, pattern, ratio, threads), recs in _group(res.accuracy, key).items():
        metrics = {m: summarize(r["metrics"][m] for r in recs) for m in ACCURACY_METRICS}
        points.append(AccuracyPoint(variant, pattern, ratio, threads, len(recs), metrics))
    points.sort(key=lambda p: (rank(p.variant), load_key(p.pattern, p.offered_ratio), p.threads))
    return points


@dataclass(frozen=True)
class PercallPoint:
    name: str            # run_name, e.g. BM_Admit/token_bucket
    group: str           # Admit, Reject, Primitive or Other
    label: str           # the variant or primitive name
    reps: int
    real_ns: Spread      # ns per call
    cpu_ns: Spread
    iterations: float    # median iterations per repetition
    source: str          # "iterations" or the aggregate used ("median", "mean")


_GROUPS = {"BM_Admit": "Admit", "BM_Reject": "Reject", "BM_Primitive": "Primitive"}
PERCALL_GROUPS = ("Admit", "Reject", "Primitive", "Other")


def _split_name(run_name):
    family, _, rest = run_name.partition("/")
    group = _GROUPS.get(family, "Other")
    label = rest if group != "Other" else run_name
    return group, label


def _ns(bench, key):
    """A Google Benchmark time in nanoseconds, whatever its time_unit."""
    return bench[key] * TIME_UNIT_NS[bench.get("time_unit", "ns")]


def percall_points(res):
    """ns per call of each benchmark. Individual repetitions (run_type
    'iteration') are preferred so the spread is ours; when the run kept only
    aggregates, its median (or mean) aggregate is used without a spread.
    Benchmarks that reported an error are left out (see percall_errors)."""
    if not res.percall:
        return []
    runs, aggs = {}, {}
    for b in res.percall["benchmarks"]:
        if b.get("error_occurred") or "real_time" not in b:
            continue
        run_name = b.get("run_name", b["name"])
        if b.get("run_type", "iteration") == "iteration":
            runs.setdefault(run_name, []).append(b)
        else:
            aggs.setdefault(run_name, {})[b.get("aggregate_name", "")] = b
    points = []
    for run_name in list(runs) + [n for n in aggs if n not in runs]:
        source = "iterations"
        chosen = runs.get(run_name)
        if chosen is None:
            by_name = aggs[run_name]
            source = next((a for a in ("median", "mean") if a in by_name), None)
            if source is None:
                continue
            chosen = [by_name[source]]
        group, label = _split_name(run_name)
        points.append(PercallPoint(
            run_name, group, label, len(chosen),
            summarize(_ns(b, "real_time") for b in chosen),
            summarize(_ns(b, "cpu_time") for b in chosen),
            float(statistics.median(b.get("iterations", 0) for b in chosen)), source))
    # Within a group, the file's order: bench_all registers in registry order.
    points.sort(key=lambda p: PERCALL_GROUPS.index(p.group))
    return points


def percall_errors(res):
    """(name, message) of benchmarks that Google Benchmark marked as failed."""
    if not res.percall:
        return []
    return sorted({(b["name"], b.get("error_message", "")) for b in res.percall["benchmarks"]
                   if b.get("error_occurred")})


@dataclass(frozen=True)
class TradeoffPoint:
    variant: str
    threads: int                 # highest non-oversubscribed thread count, admit regime
    throughput: float            # median attempts/s there
    worst_overshoot: float       # max overshoot_vs_limit under the saturating pattern
    pareto: bool                 # on the front: nothing is both faster and more accurate


@dataclass(frozen=True)
class StoreRow:
    """A store-backed variant, or the in-process variant it mirrors, with the
    numbers that say what keeping the state in redis costs."""
    variant: str
    mirror_of: str       # "" for a store-backed row; else the store variant it mirrors
    admit_ns: Spread     # per call, Google Benchmark, one thread (None: not run)
    reject_ns: Spread
    admit_1: Spread      # admit-regime attempts/s at 1 thread
    threads: int         # the highest thread count not oversubscribed (None: none)
    processes: int       # processes the points at `threads` ran in
    admit_n: Spread      # admit- and reject-regime attempts/s at `threads`
    reject_n: Spread
    rate_error: Spread   # saturating load
    overshoot: Spread    # saturating load, vs limit
    store_refusals: int  # requests refused because redis was unreachable, whole run


def store_rows(res):
    """Each store-backed variant of the run (machine.json redis.variants, in
    registry order) followed by the in-process variant it mirrors."""
    redis = (res.machine or {}).get("redis") or {}
    mirrors = redis.get("variants") or {}
    rank = _variant_rank(res)
    percall = {(p.group, p.label): p for p in percall_points(res)}
    not_over = [int(r["threads"]) for r in res.scaling if not r["oversubscribed"]]
    top = max(not_over) if not_over else None

    def row(variant, mirror_of):
        scaling = [r for r in res.scaling if r["variant"] == variant]
        at = lambda regime, t: [r for r in scaling  # noqa: E731
                                if r["regime"] == regime and int(r["threads"]) == t]
        sat = [r for r in res.accuracy
               if r["variant"] == variant and r["pattern"] == "saturating"]
        procs = [r.get("processes", 1) for r in at("admit", top)] if top else []
        pc = lambda g: percall.get((g, variant))  # noqa: E731
        return StoreRow(
            variant=variant, mirror_of=mirror_of,
            admit_ns=pc("Admit").real_ns if pc("Admit") else None,
            reject_ns=pc("Reject").real_ns if pc("Reject") else None,
            admit_1=summarize(throughput(r) for r in at("admit", 1)),
            threads=top, processes=max(procs) if procs else None,
            admit_n=summarize(throughput(r) for r in at("admit", top)) if top else None,
            reject_n=summarize(throughput(r) for r in at("reject", top)) if top else None,
            rate_error=summarize(r["metrics"]["rate_error"] for r in sat),
            overshoot=summarize(r["metrics"]["overshoot_vs_limit"] for r in sat),
            store_refusals=sum(r.get("store_refusals", 0) for r in res.scaling + res.accuracy
                               if r["variant"] == variant))

    rows = []
    for store in sorted(mirrors, key=rank):
        rows.append(row(store, ""))
        rows.append(row(mirrors[store], store))
    return rows


def tradeoff_points(res):
    """One point per variant that has both numbers; see TradeoffPoint."""
    best = {}
    for p in scaling_points(res):
        if p.regime == "admit" and not p.oversubscribed:
            if p.variant not in best or p.threads > best[p.variant].threads:
                best[p.variant] = p
    worst = {}
    for r in res.accuracy:
        v = r["metrics"]["overshoot_vs_limit"]
        if r["pattern"] == "saturating" and v is not None:
            worst[r["variant"]] = max(v, worst.get(r["variant"], -math.inf))
    pts = [(v, best[v].threads, best[v].throughput.median, worst[v])
           for v in res.variants if v in best and v in worst]
    front = pareto_front([(x, y) for _, _, y, x in pts])
    return [TradeoffPoint(v, n, y, x, (x, y) in front) for v, n, y, x in pts]


def pareto_front(points):
    """Points (overshoot, throughput) not dominated by another point that has
    no more overshoot and no less throughput, and is better in one of them."""
    front = set()
    for x, y in points:
        dominated = any(ox <= x and oy >= y and (ox < x or oy > y) for ox, oy in points)
        if not dominated:
            front.add((x, y))
    return front


def tradeoff_missing(res):
    """Variants left out of the trade-off, with why."""
    have = {p.variant for p in tradeoff_points(res)}
    out = []
    admit = {p.variant for p in scaling_points(res) if p.regime == "admit" and not p.oversubscribed}
    sat = {r["variant"] for r in res.accuracy if r["pattern"] == "saturating"
           and r["metrics"]["overshoot_vs_limit"] is not None}
    for v in res.variants:
        if v in have:
            continue
        why = []
        if v not in admit:
            why.append("no admit-regime scaling point")
        if v not in sat:
            why.append("no saturating overshoot")
        out.append((v, ", ".join(why)))
    return out
