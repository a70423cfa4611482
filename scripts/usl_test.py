"""Tests of usl.py: recovery of known parameters and degenerate inputs."""

import math
import unittest

import numpy as np

import results
import usl
from testutil import fixture

N = np.array([1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64], dtype=float)


def synthetic(lam, sigma, kappa, noise=0.0, seed=7):
    x = lam * N / (1 + sigma * (N - 1) + kappa * N * (N - 1))
    if noise:
        x = x * (1 + noise * np.random.default_rng(seed).standard_normal(len(N)))
    return x


class RecoveryTest(unittest.TestCase):
    CASES = [(2e7, 0.03, 5e-4), (1e6, 0.0, 0.0), (5e7, 0.2, 0.0), (8e6, 0.5, 0.01),
             (3e8, 0.01, 1e-5), (1e7, 0.0, 2e-3)]

    def test_exact_data(self):
        for lam, sigma, kappa in self.CASES:
            with self.subTest(sigma=sigma, kappa=kappa):
                f = usl.fit(N, synthetic(lam, sigma, kappa))
                self.assertEqual(f.status, "ok")
                self.assertAlmostEqual(f.lam / lam, 1.0, places=6)
                self.assertAlmostEqual(f.sigma, sigma, places=6)
                self.assertAlmostEqual(f.kappa, kappa, delta=1e-8 + 1e-6 * kappa)
                self.assertAlmostEqual(f.r2, 1.0, places=9)

    def test_noisy_data(self):
        # 2 % multiplicative noise, as a repeated benchmark would show.
        for lam, sigma, kappa in [(2e7, 0.03, 5e-4), (8e6, 0.5, 0.01), (5e7, 0.1, 1e-3)]:
            with self.subTest(sigma=sigma, kappa=kappa):
                f = usl.fit(N, synthetic(lam, sigma, kappa, noise=0.02))
                self.assertAlmostEqual(f.lam / lam, 1.0, delta=0.05)
                self.assertAlmostEqual(f.sigma, sigma, delta=0.02 + 0.1 * sigma)
                self.assertAlmostEqual(f.kappa, kappa, delta=0.25 * kappa)
                true_peak = math.sqrt((1 - sigma) / kappa)
                self.assertAlmostEqual(f.peak_n / true_peak, 1.0, delta=0.2)

    def test_parameters_stay_non_negative(self):
        # Superlinear data would want sigma < 0; the fit must stop at 0.
        x = 1e6 * N ** 1.05
        f = usl.fit(N, x)
        self.assertGreaterEqual(f.sigma, 0.0)
        self.assertGreaterEqual(f.kappa, 0.0)

    def test_retrograde_from_the_start(self):
        x = synthetic(1e7, 1.5, 0.0)
        f = usl.fit(N, x)
        self.assertAlmostEqual(f.sigma, 1.5, places=5)
        self.assertEqual(f.peak_n, 1.0)

    def test_repeated_thread_counts(self):
        x = synthetic(2e7, 0.05, 1e-3)
        f = usl.fit(np.concatenate([N, N]), np.concatenate([x * 0.99, x * 1.01]))
        self.assertAlmostEqual(f.sigma, 0.05, delta=1e-3)
        self.assertAlmostEqual(f.kappa, 1e-3, delta=2e-5)


class PeakTest(unittest.TestCase):
    def test_peak(self):
        self.assertAlmostEqual(usl.peak(0.1, 0.001), math.sqrt(0.9 / 0.001))
        self.assertEqual(usl.peak(0.1, 0.0), math.inf)
        self.assertEqual(usl.peak(1.0, 0.01), 1.0)
        self.assertIsNone(usl.peak(None, None))


class DegenerateTest(unittest.TestCase):
    def test_no_points(self):
        f = usl.fit([], [])
        self.assertEqual(f.status, "no data")
        self.assertFalse(f.fitted)
        self.assertIsNone(f.predict([1, 2]))

    def test_all_zero(self):
        f = usl.fit([1, 2, 4], [0, 0, 0])
        self.assertEqual(f.status, "no data")
        self.assertIn("dropped 3", f.note)

    def test_one_point(self):
        f = usl.fit([1], [5e6])
        self.assertEqual(f.status, "one thread count")
        self.assertEqual(f.lam, 5e6)
        self.assertIsNone(f.sigma)
        self.assertIsNone(f.peak_n)

    def test_one_thread_count_not_one(self):
        f = usl.fit([4, 4], [5e6, 5.1e6])
        self.assertEqual(f.status, "one thread count")
        self.assertIsNone(f.lam)

    def test_two_points_fix_kappa(self):
        f = usl.fit([1, 2], [1e6, 1.6e6])
        self.assertEqual(f.status, "kappa fixed at 0")
        self.assertEqual(f.kappa, 0.0)
        # 1.6 = 2 / (1 + sigma)  =>  sigma = 0.25
        self.assertAlmostEqual(f.sigma, 0.25, places=6)
        self.assertEqual(f.peak_n, math.inf)

    def test_zero_point_dropped(self):
        f = usl.fit([1, 2, 4, 8], [1e6, 1.8e6, 3.0e6, 0.0])
        self.assertEqual(f.n_used, (1, 2, 4))
        self.assertIn("dropped 1", f.note)

    def test_flat_throughput(self):
        f = usl.fit([1, 2, 4], [5.0, 5.0, 5.0])
        self.assertAlmostEqual(f.sigma, 1.0, places=6)
        self.assertIsNone(f.r2)   # no variance to explain

    def test_length_mismatch(self):
        with self.assertRaises(ValueError):
            usl.fit([1, 2], [1.0])


class FitScalingTest(unittest.TestCase):
    def test_oversubscribed_points_not_fitted(self):
        res = results.load(fixture("hw_counters"))
        fits = usl.fit_scaling(res)
        self.assertEqual([(r, v) for r, v, _, _ in fits],
                         [("admit", "single_atomic"), ("admit", "sharded_padded"),
                          ("reject", "single_atomic"), ("reject", "sharded_padded")])
        for _, _, f, pts in fits:
            self.assertEqual(f.n_used, (1, 2, 4))       # 8 threads > 4 CPUs: left out
            self.assertEqual([p.threads for p in pts], [1, 2, 4, 8])
            self.assertEqual(f.status, "ok")

    def test_small_run_has_two_points(self):
        fits = usl.fit_scaling(results.load(fixture("small_run")))
        self.assertTrue(all(f.status == "kappa fixed at 0" for _, _, f, _ in fits))


if __name__ == "__main__":
    unittest.main()
