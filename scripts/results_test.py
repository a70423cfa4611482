"""Tests of results.py: loading, schema errors, aggregation."""

import math
import os
import statistics
import unittest

import results
from testutil import BROKEN, Scratch, fixture, read_json, write_json


class LoadTest(unittest.TestCase):
    def test_small_run_loads_clean(self):
        res = results.load(fixture("small_run"))
        self.assertEqual(res.status, "complete")
        self.assertEqual(len(res.scaling), 3 * 2 * 3 * 2)
        self.assertEqual(len(res.accuracy), 3 * 6 * 2)
        self.assertIsNotNone(res.percall)
        self.assertEqual(res.absent, [])
        self.assertEqual(res.warnings, [])
        self.assertEqual(res.variants, ["null", "single_atomic", "token_bucket"])
        self.assertEqual(res.cpus_used, 2)

    def test_interrupted_run_lacks_files_without_error(self):
        res = results.load(fixture("interrupted"))
        self.assertEqual(res.status, "interrupted")
        self.assertEqual([f for f, _ in res.absent], ["accuracy.json", "percall.json"])
        self.assertEqual(res.accuracy, [])
        self.assertLess(res.run["points_done"], res.run["points_total"])

    def test_broken_fixtures_name_file_and_problem(self):
        for name, (file, words) in BROKEN.items():
            with self.subTest(name=name):
                with self.assertRaises(results.ResultsError) as cm:
                    results.load(fixture(name))
                msg = str(cm.exception)
                self.assertIn(os.path.join(fixture(name), file), msg)
                self.assertIn(words, msg)
                self.assertNotIn("\n", msg)

    def test_not_a_folder(self):
        with self.assertRaises(results.ResultsError) as cm:
            results.load(fixture("no_such_fixture"))
        self.assertIn("no_such_fixture", str(cm.exception))


class SchemaErrorTest(unittest.TestCase):
    """Edits of a copy of small_run, each breaking one rule of the schema."""

    def setUp(self):
        self.scratch = Scratch()
        self.dir = self.scratch.copy("small_run")

    def tearDown(self):
        self.scratch.close()

    def assertRefused(self, file, *words):
        with self.assertRaises(results.ResultsError) as cm:
            results.load(self.dir)
        msg = str(cm.exception)
        self.assertIn(file, msg)
        for w in words:
            self.assertIn(w, msg)

    def edit(self, name, change):
        doc = read_json(self.dir, name)
        change(doc)
        write_json(self.dir, name, doc)

    def test_complete_run_must_have_selected_files(self):
        os.remove(os.path.join(self.dir, "accuracy.json"))
        self.assertRefused("accuracy.json", "missing file", "complete")

    def test_wrong_schema_version(self):
        self.edit("machine.json", lambda d: d.update(schema_version=2))
        self.assertRefused("machine.json", "schema_version is 2")

    def test_missing_schema_version(self):
        self.edit("run.json", lambda d: d.pop("schema_version"))
        self.assertRefused("run.json", "schema_version")

    def test_wrong_type_names_path(self):
        self.edit("scaling.json", lambda d: d["records"][3]["per_thread"][0].update(attempts="7"))
        self.assertRefused("scaling.json", "records[3].per_thread[0].attempts",
                           "expected a non-negative integer")

    def test_bad_enum(self):
        self.edit("run.json", lambda d: d.update(status="done"))
        self.assertRefused("run.json", "status", "'done'")

    def test_missing_nested_key(self):
        self.edit("accuracy.json", lambda d: d["records"][0]["metrics"].pop("rate_error"))
        self.assertRefused("accuracy.json", "records[0].metrics", "'rate_error'")

    def test_non_finite_number(self):
        path = os.path.join(self.dir, "scaling.json")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace('"per_op":null', '"per_op":NaN', 1))
        self.assertRefused("scaling.json", "must be null")

    def test_empty_file(self):
        open(os.path.join(self.dir, "percall.json"), "w").close()
        self.assertRefused("percall.json", "empty file")

    def test_malformed_json(self):
        with open(os.path.join(self.dir, "run.json"), "w") as f:
            f.write('{"schema_version": 1,, }')
        self.assertRefused("run.json", "malformed JSON", "line 1")

    def test_top_level_array(self):
        with open(os.path.join(self.dir, "run.json"), "w") as f:
            f.write("[]")
        self.assertRefused("run.json", "top level must be an object")

    def test_inconsistent_sums_are_warnings(self):
        def bump(d):
            d["records"][0]["attempts"] += 1
        self.edit("scaling.json", bump)
        res = results.load(self.dir)
        self.assertEqual(len(res.warnings), 1)
        self.assertIn("attempts is not the sum of per_thread attempts", res.warnings[0])
        self.assertIn("records[0]", res.warnings[0])

    def test_overshoot_cross_check(self):
        self.edit("accuracy.json",
                  lambda d: d["records"][5]["metrics"].update(overshoot_vs_limit=0.123))
        res = results.load(self.dir)
        self.assertTrue(any("recomputed from bins" in w for w in res.warnings))


class StatisticsTest(unittest.TestCase):
    def test_summarize(self):
        s = results.summarize([3, None, 1, 2, 10])
        self.assertEqual((s.median, s.lo, s.hi, s.n), (2.5, 1.0, 10.0, 4))
        self.assertIsNone(results.summarize([None, None]))
        self.assertIsNone(results.summarize([]))

    def test_jain(self):
        self.assertAlmostEqual(results.jain([5, 5, 5]), 1.0)
        self.assertAlmostEqual(results.jain([1, 0]), 0.5)
        self.assertAlmostEqual(results.jain([1, 3]), 16 / (2 * 10))
        self.assertIsNone(results.jain([0, 0]))
        self.assertIsNone(results.jain([]))

    def test_min_max_ratio(self):
        self.assertEqual(results.min_max_ratio([2, 4]), 0.5)
        self.assertIsNone(results.min_max_ratio([0, 0]))

    def test_pareto_front(self):
        pts = [(0.0, 10.0), (0.5, 20.0), (0.6, 15.0), (1.0, 20.0), (0.0, 5.0)]
        self.assertEqual(results.pareto_front(pts), {(0.0, 10.0), (0.5, 20.0)})

    def test_window_sums(self):
        self.assertEqual(results.window_sums([1, 2, 3, 4], 2), [3, 5, 7])
        self.assertEqual(results.window_sums([1], 2), [])


class AggregationTest(unittest.TestCase):
    """Medians recomputed here straight from the JSON, not through results.py."""

    @classmethod
    def setUpClass(cls):
        cls.res = results.load(fixture("small_run"))
        cls.raw = read_json(fixture("small_run"), "scaling.json")["records"]

    def recs(self, variant, regime, threads):
        return [r for r in self.raw if (r["variant"], r["regime"], r["threads"])
                == (variant, regime, threads)]

    def test_scaling_medians_and_spread(self):
        pts = results.scaling_points(self.res)
        self.assertEqual(len(pts), 18)
        for p in pts:
            tput = [r["attempts"] / (r["duration_ns"] / 1e9)
                    for r in self.recs(p.variant, p.regime, p.threads)]
            self.assertEqual(p.reps, 2)
            self.assertAlmostEqual(p.throughput.median, statistics.median(tput))
            self.assertAlmostEqual(p.throughput.lo, min(tput))
            self.assertAlmostEqual(p.throughput.hi, max(tput))
            self.assertAlmostEqual(p.per_thread.median, statistics.median(tput) / p.threads)
            self.assertEqual(p.oversubscribed, p.threads > 2)

    def test_efficiency(self):
        pts = {(p.variant, p.regime, p.threads): p for p in results.scaling_points(self.res)}
        x1 = statistics.median(r["attempts"] / (r["duration_ns"] / 1e9)
                               for r in self.recs("token_bucket", "admit", 1))
        x2 = statistics.median(r["attempts"] / (r["duration_ns"] / 1e9)
                               for r in self.recs("token_bucket", "admit", 2))
        self.assertAlmostEqual(pts[("token_bucket", "admit", 2)].efficiency.median,
                               x2 / (2 * x1))
        self.assertAlmostEqual(pts[("token_bucket", "admit", 1)].efficiency.median, 1.0)

    def test_order(self):
        pts = results.scaling_points(self.res)
        keys = [(p.regime, p.variant, p.threads) for p in pts]
        self.assertEqual(keys[0], ("admit", "null", 1))
        self.assertEqual(keys[-1], ("reject", "token_bucket", 4))

    def test_accuracy_points(self):
        raw = read_json(fixture("small_run"), "accuracy.json")["records"]
        pts = results.accuracy_points(self.res)
        self.assertEqual(len(pts), 3 * 6)
        for p in pts:
            recs = [r for r in raw if r["variant"] == p.variant and r["pattern"] == p.pattern
                    and r["offered_ratio"] == p.offered_ratio]
            vals = [r["metrics"]["overshoot_vs_limit"] for r in recs]
            self.assertAlmostEqual(p.metrics["overshoot_vs_limit"].median, statistics.median(vals))
            if p.pattern == "paced" and p.offered_ratio < 1:
                self.assertIsNone(p.metrics["rate_error"])
            else:
                self.assertIsNone(p.metrics["false_rejections"])

    def test_counters(self):
        info = results.counter_info(self.res)
        self.assertFalse(info["cycles"].available)
        self.assertIn("no hardware PMU", info["cycles"].reason)
        self.assertTrue(info["context-switches"].available)
        hw = results.counter_info(results.load(fixture("hw_counters")))
        self.assertTrue(all(i.available for i in hw.values()))

    def test_percall_units_and_aggregates(self):
        pts = {p.name: p for p in results.percall_points(self.res)}
        self.assertEqual(pts["BM_Admit/null"].reps, 2)
        self.assertEqual(pts["BM_Admit/null"].source, "iterations")
        self.assertEqual(pts["BM_Primitive/steady_clock"].group, "Primitive")
        raw = read_json(fixture("hw_counters"), "percall.json")["benchmarks"]
        med = next(b for b in raw if b["name"] == "BM_Primitive/steady_clock_median")
        self.assertEqual(med["time_unit"], "us")
        hw = {p.name: p for p in results.percall_points(results.load(fixture("hw_counters")))}
        self.assertEqual(hw["BM_Primitive/steady_clock"].source, "median")
        self.assertAlmostEqual(hw["BM_Primitive/steady_clock"].real_ns.median,
                               med["real_time"] * 1000)

    def test_tradeoff(self):
        pts = {p.variant: p for p in results.tradeoff_points(self.res)}
        self.assertEqual(set(pts), {"null", "single_atomic", "token_bucket"})
        sat = [r["metrics"]["overshoot_vs_limit"]
               for r in read_json(fixture("small_run"), "accuracy.json")["records"]
               if r["variant"] == "token_bucket" and r["pattern"] == "saturating"]
        self.assertAlmostEqual(pts["token_bucket"].worst_overshoot, max(sat))
        self.assertEqual(pts["token_bucket"].threads, 2)   # highest not oversubscribed
        self.assertFalse(math.isnan(pts["null"].throughput))
        self.assertTrue(pts["single_atomic"].pareto)


if __name__ == "__main__":
    unittest.main()
