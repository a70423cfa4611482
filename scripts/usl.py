"""Universal Scalability Law fit, with numpy only.

    X(N) = lambda * N / (1 + sigma * (N - 1) + kappa * N * (N - 1))

sigma is the cost of contention (serialised work), kappa the cost of
coherency (crosstalk between every pair of threads). With kappa > 0 the
curve peaks at N* = sqrt((1 - sigma) / kappa) and then falls.

The fit minimises the sum of squared *relative* residuals (X_fit / X - 1):
throughput spans orders of magnitude across thread counts for the contended
variants, and measurement noise is roughly proportional to the value, so
each thread count should weigh the same. sigma and kappa are kept >= 0.
The method: a coarse grid over (sigma, kappa) with lambda solved in closed
form at each node, then a bounded Levenberg-Marquardt refinement of all three.
"""

import math
from dataclasses import dataclass

import numpy as np

import results as results_mod


@dataclass(frozen=True)
class USLFit:
    lam: float            # throughput of one thread without contention
    sigma: float          # None when not fitted
    kappa: float          # None when not fitted; 0.0 when fixed at 0
    peak_n: float         # N*; inf when throughput never peaks; None when unknown
    r2: float             # coefficient of determination on X; None when undefined
    n_used: tuple         # the thread counts that went into the fit
    status: str           # "ok", "kappa fixed at 0", "one thread count", "no data"
    note: str             # why the fit is partial, or ""

    @property
    def fitted(self):
        return self.sigma is not None

    def predict(self, n):
        """X(N) for an array of N, or None when nothing was fitted."""
        if not self.fitted:
            return None
        n = np.asarray(n, dtype=float)
        return self.lam * n / _denominator(n, self.sigma, self.kappa)


def _denominator(n, sigma, kappa):
    return 1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0)


def peak(sigma, kappa):
    """N at which X(N) is highest. dX/dN has the sign of 1 - sigma - kappa N^2,
    so with sigma >= 1 throughput never rises above one thread's (N* = 1);
    with kappa == 0 and sigma < 1 it rises for ever (N* = inf)."""
    if sigma is None or kappa is None:
        return None
    if sigma >= 1.0:
        return 1.0
    if kappa == 0.0:
        return math.inf
    return math.sqrt((1.0 - sigma) / kappa)


def _residuals(p, n, x):
    lam, sigma, kappa = p
    return lam * n / _denominator(n, sigma, kappa) / x - 1.0


def _jacobian(p, n, x):
    lam, sigma, kappa = p
    d = _denominator(n, sigma, kappa)
    return np.column_stack([
        n / d / x,
        -lam * n * (n - 1.0) / d ** 2 / x,
        -lam * n * n * (n - 1.0) / d ** 2 / x,
    ])


def _best_lambda(n, x, sigma, kappa):
    # For fixed sigma, kappa the residual is linear in lambda: closed form.
    w = n / _denominator(n, sigma, kappa) / x
    return float(np.sum(w) / np.sum(w * w))


_SIGMA_GRID = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35,
               0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
_KAPPA_GRID = (0.0,) + tuple(np.logspace(-7, 1, 25))


def _grid_start(n, x, fit_kappa):
    best = None
    for sigma in _SIGMA_GRID:
        for kappa in (_KAPPA_GRID if fit_kappa else (0.0,)):
            lam = _best_lambda(n, x, sigma, kappa)
            r = _residuals((lam, sigma, kappa), n, x)
            cost = float(r @ r)
            if best is None or cost < best[0]:
                best = (cost, np.array([lam, sigma, kappa]))
    return best[1]


def _refine(p, n, x, free, iterations=300):
    """Levenberg-Marquardt with sigma, kappa >= 0. A parameter sitting on its
    bound whose gradient points outward is held there for that step (a simple
    active set), so the step is not wasted on a move the bound would undo."""
    p = p.copy()
    r = _residuals(p, n, x)
    cost = float(r @ r)
    mu = 1e-3
    for _ in range(iterations):
        jac = _jacobian(p, n, x)
        grad = jac.T @ r
        active = [j for j in free if not (j > 0 and p[j] <= 0.0 and grad[j] > 0.0)]
        if not active:
            break
        ja = jac[:, active]
        # Marquardt's scaling: damp each parameter by its own curvature, which
        # copes with lambda ~1e7 next to kappa ~1e-5. Solved as an augmented
        # least-squares problem rather than normal equations, for conditioning.
        scale = np.sqrt(np.sum(ja * ja, axis=0)) + 1e-300
        aug = np.vstack([ja, math.sqrt(mu) * np.diag(scale)])
        rhs = np.concatenate([-r, np.zeros(len(active))])
        step = np.linalg.lstsq(aug, rhs, rcond=None)[0]
        trial = p.copy()
        trial[active] += step
        trial[1:] = np.maximum(trial[1:], 0.0)
        trial[0] = max(trial[0], 1e-300)
        tr = _residuals(trial, n, x)
        tcost = float(tr @ tr)
        if tcost < cost:
            converged = cost - tcost <= 1e-15 * max(cost, 1e-300)
            p, r, cost = trial, tr, tcost
            mu = max(mu / 3.0, 1e-12)
            if converged:
                break
        else:
            mu *= 4.0
            if mu > 1e12:
                break
    return p


def _r_squared(n, x, pred):
    ss_tot = float(np.sum((x - np.mean(x)) ** 2))
    if ss_tot == 0.0:
        return None
    return 1.0 - float(np.sum((x - pred) ** 2)) / ss_tot


def fit(threads, throughputs):
    """Fit the USL to (N, X) pairs. Degenerate inputs are answered, not raised:
    points with X <= 0 or N < 1 are dropped (said in `note`); with no point left
    the status is "no data"; with one thread count nothing can be fitted; with
    two, kappa is fixed at 0 (three parameters cannot be had from two numbers)."""
    n = np.asarray(list(threads), dtype=float)
    x = np.asarray(list(throughputs), dtype=float)
    if n.shape != x.shape:
        raise ValueError("threads and throughputs differ in length")
    keep = np.isfinite(n) & np.isfinite(x) & (n >= 1) & (x > 0)
    dropped = int(np.sum(~keep))
    n, x = n[keep], x[keep]
    notes = [f"dropped {dropped} point(s) with zero, negative or non-finite values"] if dropped else []
    used = tuple(sorted({int(v) if float(v).is_integer() else float(v) for v in n}))
    if len(n) == 0:
        return USLFit(None, None, None, None, None, used, "no data", "; ".join(notes))
    if len(used) == 1:
        notes.append("one thread count: sigma and kappa cannot be fitted")
        lam = float(np.mean(x / n)) if used[0] == 1 else None
        return USLFit(lam, None, None, None, None, used, "one thread count", "; ".join(notes))
    fit_kappa = len(used) >= 3
    if not fit_kappa:
        notes.append("two thread counts: kappa fixed at 0")
    start = _grid_start(n, x, fit_kappa)
    p = _refine(start, n, x, free=[0, 1, 2] if fit_kappa else [0, 1])
    lam, sigma, kappa = (float(v) for v in p)
    # Values at round-off level are zero: keeps N* = inf exact for kappa ~ 1e-20.
    sigma = 0.0 if sigma < 1e-12 else sigma
    kappa = 0.0 if kappa < 1e-15 else kappa
    pred = lam * n / _denominator(n, sigma, kappa)
    return USLFit(lam, sigma, kappa, peak(sigma, kappa), _r_squared(n, x, pred), used,
                  "ok" if fit_kappa else "kappa fixed at 0", "; ".join(notes))


def fit_scaling(res):
    """USL fit per (regime, variant) over the median throughput at each
    thread count that is not oversubscribed: above the CPU count, threads
    time-share CPUs and the USL's contention model no longer describes them.
    Returns [(regime, variant, USLFit, [ScalingPoint, ...])] in report order."""
    by_key = {}
    for p in results_mod.scaling_points(res):
        by_key.setdefault((p.regime, p.variant), []).append(p)
    out = []
    for (regime, variant), pts in by_key.items():
        inside = [p for p in pts if not p.oversubscribed]
        f = fit([p.threads for p in inside], [p.throughput.median for p in inside])
        out.append((regime, variant, f, pts))
    return out
