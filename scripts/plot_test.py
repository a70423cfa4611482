"""Tests of plot.py: every figure written for every fixture, the CLI's errors."""

import os
import subprocess
import sys
import unittest

import plot
import results
from testutil import BROKEN, GOOD, HERE, Scratch, fixture

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class FiguresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = Scratch()
        cls.dirs = {}
        for name in GOOD:
            cls.dirs[name] = cls.scratch.copy(name)
            plot.write_all(results.load(cls.dirs[name]))

    @classmethod
    def tearDownClass(cls):
        cls.scratch.close()

    def read(self, fixture_name, figure, fmt):
        with open(os.path.join(self.dirs[fixture_name], "figures", f"{figure}.{fmt}"), "rb") as f:
            return f.read()

    def assertHas(self, text, part, present=True):
        # assertIn would print the whole SVG on failure.
        self.assertEqual(part in text, present, f"{part!r} {'not ' if present else ''}found")

    def test_every_figure_written_for_every_fixture(self):
        for name in GOOD:
            for fig in plot.FIGURES:
                with self.subTest(fixture=name, figure=fig.name):
                    png = self.read(name, fig.name, "png")
                    self.assertTrue(png.startswith(PNG_MAGIC))
                    self.assertGreater(len(png), 2000)
                    svg = self.read(name, fig.name, "svg").decode("utf-8")
                    self.assertHas(svg, "<svg")
                    self.assertTrue(svg.rstrip().endswith("</svg>"))

    def test_no_temporary_files_left(self):
        for name in GOOD:
            left = [f for f in os.listdir(os.path.join(self.dirs[name], "figures"))
                    if f.startswith(".tmp")]
            self.assertEqual(left, [])

    def test_counters_not_available_says_so(self):
        svg = self.read("small_run", "counters_admit", "svg").decode("utf-8")
        self.assertHas(svg, "not available on this machine")
        self.assertHas(svg, "hardware PMU: perf_event_open ENOENT")   # the reason, wrapped
        hw = self.read("hw_counters", "counters_admit", "svg").decode("utf-8")
        self.assertHas(hw, "not available on this machine", present=False)
        self.assertHas(hw, "multiplexed")

    def test_usl_legend_has_parameters(self):
        svg = self.read("hw_counters", "usl_admit", "svg").decode("utf-8")
        self.assertHas(svg, "σ=")
        self.assertHas(svg, "κ=")

    def test_interrupted_figures_say_partial(self):
        svg = self.read("interrupted", "throughput_admit", "svg").decode("utf-8")
        self.assertHas(svg, "run interrupted")
        acc = self.read("interrupted", "accuracy_overshoot_vs_limit", "svg").decode("utf-8")
        self.assertHas(acc, "no accuracy records in this run")
        self.assertHas(self.read("interrupted", "percall", "svg").decode(), "no percall.json")

    def test_oversubscribed_region_labelled(self):
        svg = self.read("small_run", "throughput_admit", "svg").decode("utf-8")
        self.assertHas(svg, "oversubscribed (&gt; 2 CPUs)")

    def test_redraw_is_byte_identical(self):
        before = self.read("small_run", "tradeoff", "svg")
        again = self.scratch.path("again")
        plot.write_all(results.load(self.dirs["small_run"]), again)
        with open(os.path.join(again, "tradeoff.svg"), "rb") as f:
            self.assertEqual(f.read(), before)


class StyleTest(unittest.TestCase):
    def test_twelve_variants_are_distinct(self):
        styles = plot.variant_styles([f"v{i}" for i in range(12)])
        self.assertEqual(len(set(styles.values())), 12)
        self.assertEqual(len({c for c, _ in styles.values()}), 12)
        self.assertEqual(len({m for _, m in styles.values()}), 12)


class CliTest(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, os.path.join(HERE, "plot.py"), *args],
                              capture_output=True, text=True, timeout=120)

    def test_broken_folders_exit_2_with_one_line(self):
        for name, (file, words) in BROKEN.items():
            with self.subTest(name=name):
                out = self.run_cli(fixture(name))
                self.assertEqual(out.returncode, 2)
                self.assertNotIn("Traceback", out.stderr)
                lines = out.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1)
                self.assertTrue(lines[0].startswith("plot.py: error: "))
                self.assertIn(file, lines[0])
                self.assertIn(words, lines[0])
                self.assertFalse(os.path.exists(os.path.join(fixture(name), "figures")))

    def test_missing_folder(self):
        out = self.run_cli(fixture("no_such_fixture"))
        self.assertEqual(out.returncode, 2)
        self.assertNotIn("Traceback", out.stderr)

    def test_usage(self):
        out = self.run_cli()
        self.assertEqual(out.returncode, 2)
        self.assertIn("RESULTS_DIR", out.stderr)


if __name__ == "__main__":
    unittest.main()
