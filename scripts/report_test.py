"""Tests of report.py: sections, numbers, idempotence, markers, errors."""

import os
import statistics
import subprocess
import sys
import unittest

import report
from testutil import BROKEN, GOOD, HERE, Scratch, fixture, read_json, write_json


def run_cli(*args):
    return subprocess.run([sys.executable, os.path.join(HERE, "report.py"), *args],
                          capture_output=True, text=True, timeout=120)


def section(text, name):
    begin = f"<!-- BEGIN GENERATED: {name} -->"
    end = f"<!-- END GENERATED: {name} -->"
    return text[text.index(begin) + len(begin):text.index(end)]


def row(text, *cells):
    """The table line that starts with these cells (exactly one must)."""
    head = "| " + " | ".join(str(c) for c in cells) + " |"
    lines = [line for line in text.splitlines() if line.startswith(head)]
    assert len(lines) == 1, f"{len(lines)} rows start with {head!r}"
    return lines[0]


def part(body, heading):
    """The text under '#### heading' up to the next '####' heading."""
    start = body.index(f"#### {heading}")
    nxt = body.find("####", start + 4)
    return body[start:nxt if nxt >= 0 else len(body)]


def spread(values, fmt):
    """Expected 'median [min, max]' computed here, independently of results.py."""
    med, lo, hi = statistics.median(values), min(values), max(values)
    if len(values) == 1 or lo == hi:
        return fmt(med)
    return f"{fmt(med)} [{fmt(lo)}, {fmt(hi)}]"


class ReportTestBase(unittest.TestCase):
    def setUp(self):
        self.scratch = Scratch()

    def tearDown(self):
        self.scratch.close()

    def make(self, name, report_name="REPORT.md"):
        results_dir = self.scratch.copy(name)
        path = self.scratch.path(report_name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        report.update_report(results_dir, path, init=True)
        with open(path, encoding="utf-8") as f:
            return results_dir, path, f.read()


class SmallRunNumbersTest(ReportTestBase):
    """The report's tables carry the fixture's numbers, recomputed here."""

    def setUp(self):
        super().setUp()
        self.dir, self.path, self.text = self.make("small_run")

    def test_all_sections_filled(self):
        for name in report.SECTIONS:
            with self.subTest(section=name):
                self.assertGreater(len(section(self.text, name).strip()), 20)

    def test_scaling_table(self):
        body = section(self.text, "scaling_table")
        recs = read_json(self.dir, "scaling.json")["records"]
        for regime in ("admit", "reject"):
            table = part(body, f"{regime} regime")
            for variant in ("null", "single_atomic", "token_bucket"):
                for threads in (1, 2, 4):
                    rs = [r for r in recs if (r["variant"], r["regime"], r["threads"])
                          == (variant, regime, threads)]
                    tput = [r["attempts"] * 1e9 / r["duration_ns"] for r in rs]
                    adm = [r["admitted"] * 1e9 / r["duration_ns"] for r in rs]
                    over = "yes" if threads > 2 else "no"
                    line = row(table, variant, threads, over, 2)
                    self.assertIn(spread(tput, report.fmt_si), line)
                    self.assertIn(spread(adm, report.fmt_si), line)
                    self.assertIn(spread([t / threads for t in tput], report.fmt_si), line)

    def test_efficiency_and_jain(self):
        body = section(self.text, "scaling_table")
        recs = read_json(self.dir, "scaling.json")["records"]

        def pick(v, n):
            return [r for r in recs if (r["variant"], r["regime"], r["threads"]) == (v, "admit", n)]
        x1 = statistics.median(r["attempts"] * 1e9 / r["duration_ns"] for r in pick("token_bucket", 1))
        eff = [r["attempts"] * 1e9 / r["duration_ns"] / (2 * x1) for r in pick("token_bucket", 2)]
        jain = []
        for r in pick("token_bucket", 2):
            xs = [t["admitted"] for t in r["per_thread"]]
            jain.append(sum(xs) ** 2 / (len(xs) * sum(x * x for x in xs)))
        line = row(part(body, "admit regime"), "token_bucket", 2, "no", 2)
        self.assertIn(spread(eff, report.fmt_ratio), line)
        self.assertIn(spread(jain, report.fmt_ratio), line)

    def test_counters_table(self):
        body = section(self.text, "counters_table")
        self.assertIn("Not available on this machine: cycles, instructions, cache-misses, "
                      "L1-dcache-load-misses (no hardware PMU: perf_event_open ENOENT)", body)
        recs = read_json(self.dir, "scaling.json")["records"]
        rs = [r for r in recs if (r["variant"], r["regime"], r["threads"])
              == ("single_atomic", "admit", 4)]
        cs = [c["per_op"] for r in rs for c in r["counters"] if c["event"] == "context-switches"]
        line = row(part(body, "admit regime"), "single_atomic", 4, "yes")
        self.assertIn(spread(cs, report.fmt_g3), line)
        header = next(line for line in body.splitlines() if line.startswith("| variant"))
        self.assertNotIn("cycles", header)

    def test_accuracy_table(self):
        body = section(self.text, "accuracy_table")
        recs = read_json(self.dir, "accuracy.json")["records"]
        for variant in ("null", "single_atomic", "token_bucket"):
            for pattern, ratio, label in (("saturating", None, "saturating"),
                                          ("paced", 0.5, "paced 0.5×R"),
                                          ("paced", 2, "paced 2×R"), ("onoff", None, "on/off")):
                rs = [r for r in recs if r["variant"] == variant and r["pattern"] == pattern
                      and r["offered_ratio"] == ratio]
                line = row(body, variant, label, 2, 2)
                over = [r["metrics"]["overshoot_vs_limit"] for r in rs]
                self.assertIn(spread(over, report.fmt_signed), line)
                if ratio == 0.5:
                    fr = [r["metrics"]["false_rejections"] for r in rs]
                    self.assertIn(spread(fr, report.fmt_frac), line)
                else:
                    rate = [r["metrics"]["rate_error"] for r in rs]
                    self.assertIn(spread(rate, report.fmt_signed), line)

    def test_tradeoff_table(self):
        body = section(self.text, "accuracy_table")
        recs = read_json(self.dir, "accuracy.json")["records"]
        worst = max(r["metrics"]["overshoot_vs_limit"] for r in recs
                    if r["variant"] == "token_bucket" and r["pattern"] == "saturating")
        # 2 = the highest thread count within the 2 CPUs
        line = row(part(body, "Accuracy–throughput trade-off"), "token_bucket", 2)
        self.assertIn(report.fmt_signed(worst), line)

    def test_percall_table(self):
        body = section(self.text, "percall_table")
        raw = read_json(self.dir, "percall.json")["benchmarks"]
        for name in ("BM_Admit/token_bucket", "BM_Reject/single_atomic",
                     "BM_Primitive/rseq_cpu_id"):
            times = [b["real_time"] for b in raw
                     if b["run_name"] == name and b["run_type"] == "iteration"]
            self.assertEqual(len(times), 2)
            line = next(line for line in body.splitlines() if f"`{name}`" in line)
            self.assertIn(spread(times, report.fmt_ns), line)

    def test_usl_table(self):
        body = section(self.text, "usl_table")
        self.assertIn("| admit | single_atomic | 1, 2 |", body)
        self.assertIn("kappa fixed at 0", body)

    def test_machine_section(self):
        body = section(self.text, "machine")
        for words in ("AMD EPYC 7B13", "2 (0-1)", "Linux 6.1.0-27-amd64", "GNU 12.2.0",
                      "0123456789abcdef", "| virtualized | yes |",
                      "| cycles | no | no hardware PMU: perf_event_open ENOENT |",
                      "| context-switches | yes |", "status **complete**",
                      "Raw results: [`small_run`](<small_run>)"):
            self.assertIn(words, body)
        self.assertNotIn("did not complete", body)

    def test_figure_links_are_relative(self):
        body = section(self.text, "figures")
        self.assertIn("](<small_run/figures/throughput_admit.png>)", body)
        self.assertIn("(<small_run/figures/tradeoff.svg>)", body)
        self.assertIn("Not drawn yet", body)   # plot.py has not run on this copy


class StoreTableTest(ReportTestBase):
    """The store table, on the small fixture with a made-up redis_gcra: a copy
    of token_bucket's records renamed, its 2-thread points marked as run in 2
    processes, with 5 store refusals per record."""

    def setUp(self):
        super().setUp()
        d = self.scratch.copy("small_run")
        machine = read_json(d, "machine.json")
        machine["redis"] = {"address": "127.0.0.1:6379", "started_by_bench_all": True,
                            "version": "7.0.15", "variants": {"redis_gcra": "token_bucket"}}
        write_json(d, "machine.json", machine)
        for name in ("scaling.json", "accuracy.json"):
            doc = read_json(d, name)
            for r in list(doc["records"]):
                if r["variant"] == "token_bucket":
                    c = dict(r, variant="redis_gcra", store_refusals=5,
                             processes=2 if r["threads"] == 2 else 1)
                    doc["records"].append(c)
            write_json(d, name, doc)
        percall = read_json(d, "percall.json")
        for b in list(percall["benchmarks"]):
            if b["name"].startswith(("BM_Admit/token_bucket", "BM_Reject/token_bucket")):
                c = dict(b)
                for k in ("name", "run_name"):
                    if k in c:
                        c[k] = c[k].replace("token_bucket", "redis_gcra")
                c["real_time"] = b["real_time"] * 1000
                percall["benchmarks"].append(c)
        write_json(d, "percall.json", percall)
        self.dir = d
        path = self.scratch.path("REPORT.md")
        report.update_report(d, path, init=True)
        with open(path, encoding="utf-8") as f:
            self.body = section(f.read(), "store_table")

    def test_rows_hold_the_numbers(self):
        recs = read_json(self.dir, "scaling.json")["records"]
        acc = read_json(self.dir, "accuracy.json")["records"]
        bms = read_json(self.dir, "percall.json")["benchmarks"]
        for variant, label in (("redis_gcra", "redis_gcra"),
                               ("token_bucket", "token_bucket (in-process)")):
            line = row(self.body, label)
            cells = [c.strip() for c in line.strip("|").split("|")]
            admit_ns = [b["real_time"] for b in bms if b.get("run_name", b["name"])
                        == f"BM_Admit/{variant}" and b.get("run_type") == "iteration"]
            self.assertEqual(cells[1], spread(admit_ns, report.fmt_ns))
            one = [r["attempts"] * 1e9 / r["duration_ns"] for r in recs
                   if (r["variant"], r["regime"], r["threads"]) == (variant, "admit", 1)]
            self.assertEqual(cells[3], spread(one, report.fmt_si))
            two = [r["attempts"] * 1e9 / r["duration_ns"] for r in recs
                   if (r["variant"], r["regime"], r["threads"]) == (variant, "admit", 2)]
            self.assertEqual(cells[4], spread(two, report.fmt_si))
            self.assertEqual(cells[6], "2" if variant == "redis_gcra" else "1")
            sat = [r["metrics"]["rate_error"] for r in acc
                   if r["variant"] == variant and r["pattern"] == "saturating"]
            self.assertEqual(cells[7], spread(sat, report.fmt_signed))
            refusals = sum(r.get("store_refusals", 0) for r in recs + acc
                           if r["variant"] == variant)
            self.assertEqual(cells[9], f"{refusals:,}")
        self.assertIn("redis-server 7.0.15 at 127.0.0.1:6379", self.body)
        self.assertEqual(row(self.body, "redis_gcra").count("|"), 11)

    def test_method_names_the_store(self):
        with open(self.scratch.path("REPORT.md"), encoding="utf-8") as f:
            method = section(f.read(), "method")
        self.assertIn("- Store-backed variants (redis_gcra): redis-server 7.0.15 at "
                      "127.0.0.1:6379, started by bench_all for the run; their points with "
                      "two or more threads ran in up to 2 processes sharing one redis key.",
                      method)

    def test_store_row_comes_first(self):
        self.assertLess(self.body.index("| redis_gcra |"),
                        self.body.index("| token_bucket (in-process) |"))


class IdempotenceTest(ReportTestBase):
    def test_twice_is_byte_identical(self):
        for name in GOOD:
            with self.subTest(fixture=name):
                results_dir = self.scratch.copy(name, f"{name}-copy")
                path = self.scratch.path(f"{name}.md")
                self.assertEqual(run_cli(results_dir, path, "--init").returncode, 0)
                with open(path, "rb") as f:
                    first = f.read()
                out = run_cli(results_dir, path)
                self.assertEqual(out.returncode, 0)
                self.assertIn("already up to date", out.stdout)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), first)

    def test_same_output_whichever_way_the_folder_is_named(self):
        results_dir = self.scratch.copy("small_run")
        path = self.scratch.path("REPORT.md")
        report.update_report(results_dir, path, init=True)
        with open(path, "rb") as f:
            first = f.read()
        cwd = os.getcwd()
        try:   # a relative path with a detour must give the same bytes
            os.chdir(self.scratch.root)
            report.update_report(os.path.join(".", "small_run", "..", "small_run"),
                                 "REPORT.md")
        finally:
            os.chdir(cwd)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), first)

    def test_links_from_another_folder(self):
        results_dir = self.scratch.copy("small_run", os.path.join("results", "run1"))
        path = self.scratch.path("docs", "REPORT.md")
        os.makedirs(os.path.dirname(path))
        report.update_report(results_dir, path, init=True)
        with open(path, encoding="utf-8") as f:
            self.assertIn("(<../results/run1/figures/percall.png>)", f.read())


class HandWrittenTextTest(ReportTestBase):
    HAND = ("# My report\n\nHand-written intro.\n\n"
            "<!-- BEGIN GENERATED: usl_table -->\nstale numbers\n<!-- END GENERATED: usl_table -->\n"
            "\nAnalysis that must stay.\n\n"
            "<!-- BEGIN GENERATED: notes -->\nmine, not the script's\n"
            "<!-- END GENERATED: notes -->\ntrailing text")

    def write(self, text):
        path = self.scratch.path("REPORT.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_only_marked_sections_change(self):
        path = self.write(self.HAND)
        updated, missing, changed = report.update_report(self.scratch.copy("small_run"), path)
        self.assertTrue(changed)
        self.assertEqual(updated, ["usl_table"])
        self.assertIn("machine", missing)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith("# My report\n\nHand-written intro.\n\n"
                                        "<!-- BEGIN GENERATED: usl_table -->\n"))
        self.assertNotIn("stale numbers", text)
        self.assertIn("<!-- END GENERATED: usl_table -->\n\nAnalysis that must stay.\n\n"
                      "<!-- BEGIN GENERATED: notes -->\nmine, not the script's\n"
                      "<!-- END GENERATED: notes -->\ntrailing text", text)
        self.assertTrue(text.endswith("trailing text"))
        self.assertNotIn("GENERATED: machine", text)   # nothing appended

    def test_no_markers_leaves_file_untouched(self):
        path = self.write("just prose\n")
        before = os.stat(path).st_mtime_ns
        out = run_cli(self.scratch.copy("small_run"), path)
        self.assertEqual(out.returncode, 0)
        self.assertIn("no markers for", out.stdout)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), "just prose\n")
        self.assertEqual(os.stat(path).st_mtime_ns, before)

    def test_malformed_markers_exit_2_and_keep_file(self):
        bad = [
            "<!-- BEGIN GENERATED: machine -->\nno end\n",
            "<!-- END GENERATED: machine -->\n",
            "<!-- BEGIN GENERATED: a -->\n<!-- BEGIN GENERATED: b -->\n",
            ("<!-- BEGIN GENERATED: a -->\n<!-- END GENERATED: a -->\n"
             "<!-- BEGIN GENERATED: a -->\n<!-- END GENERATED: a -->\n"),
        ]
        results_dir = self.scratch.copy("small_run")
        for text in bad:
            with self.subTest(text=text):
                path = self.write(text)
                out = run_cli(results_dir, path)
                self.assertEqual(out.returncode, 2)
                self.assertEqual(len(out.stderr.strip().splitlines()), 1)
                self.assertIn("REPORT.md:", out.stderr)
                with open(path, encoding="utf-8") as f:
                    self.assertEqual(f.read(), text)


class NoCountersAndPartialTest(ReportTestBase):
    def test_full_report_without_hardware_counters(self):
        _, _, text = self.make("small_run")
        for name in report.SECTIONS:
            self.assertIn(f"<!-- BEGIN GENERATED: {name} -->", text)
            self.assertGreater(len(section(text, name).strip()), 20)
        self.assertIn("Not available on this machine", section(text, "counters_table"))

    def test_hardware_counters_tabled(self):
        dir_, _, text = self.make("hw_counters")
        body = section(text, "counters_table")
        self.assertNotIn("Not available", body)
        self.assertIn("(mux)", body)
        recs = read_json(dir_, "scaling.json")["records"]
        r = next(r for r in recs if (r["variant"], r["regime"], r["threads"])
                 == ("sharded_padded", "reject", 2))
        cyc = next(c["per_op"] for c in r["counters"] if c["event"] == "cycles")
        self.assertIn(report.fmt_g3(cyc), row(part(body, "reject regime"),
                                              "sharded_padded", 2, "no"))
        self.assertIn("| admit | single_atomic | 1, 2, 4 |", section(text, "usl_table"))

    def test_interrupted_run_says_so(self):
        _, _, text = self.make("interrupted")
        machine = section(text, "machine")
        self.assertIn("status **interrupted**", machine)
        self.assertIn("This run did not complete", machine)
        self.assertIn("accuracy.json (not reached (run interrupted))", machine)
        self.assertIn("core and package ids not readable", machine)   # null topology ids
        self.assertIn("| virtualized | unknown |", machine)
        self.assertIn("No accuracy records in this run.", section(text, "accuracy_table"))
        self.assertIn("No per-call results", section(text, "percall_table"))
        self.assertIn("No reject-regime records", section(text, "scaling_table"))
        self.assertIn("one thread count", section(text, "usl_table"))


class CliErrorTest(ReportTestBase):
    def test_broken_results_exit_2(self):
        path = self.scratch.path("REPORT.md")
        for name, (file, words) in BROKEN.items():
            with self.subTest(name=name):
                out = run_cli(fixture(name), path, "--init")
                self.assertEqual(out.returncode, 2)
                self.assertNotIn("Traceback", out.stderr)
                lines = out.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1)
                self.assertTrue(lines[0].startswith("report.py: error: "))
                self.assertIn(file, lines[0])
                self.assertIn(words, lines[0])
                self.assertFalse(os.path.exists(path))

    def test_missing_report_without_init(self):
        out = run_cli(fixture("small_run"), self.scratch.path("nope.md"))
        self.assertEqual(out.returncode, 2)
        self.assertIn("--init", out.stderr)
        self.assertNotIn("Traceback", out.stderr)

    def test_init_does_not_clobber(self):
        path = self.scratch.path("REPORT.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("mine\n")
        self.assertEqual(run_cli(self.scratch.copy("small_run"), path, "--init").returncode, 0)
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), "mine\n")


class FormatTest(unittest.TestCase):
    def test_si(self):
        self.assertEqual(report.fmt_si(12345678), "12.3M")
        self.assertEqual(report.fmt_si(999), "999")
        self.assertEqual(report.fmt_si(999.7), "1k")
        self.assertEqual(report.fmt_si(2.5e9), "2.5G")
        self.assertEqual(report.fmt_si(0), "0")
        self.assertEqual(report.fmt_si(None), "n/a")

    def test_signed(self):
        self.assertEqual(report.fmt_signed(0.0), "0")
        self.assertEqual(report.fmt_signed(0.02), "+0.02")
        self.assertEqual(report.fmt_signed(-0.4936), "-0.4936")


if __name__ == "__main__":
    unittest.main()
