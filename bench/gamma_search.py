"""Band-weight search with many bands (issue 15 point 4): himalaya's solvers on the problem that
bench/gamma-search.ts wrote, and one float64 evaluator for every method's chosen weights.

    node --import tsx bench/gamma-search.ts --out DIR --n-iter 60
    .venv/bin/python bench/gamma_search.py --folder DIR --n-iter 60

himalaya (MultipleKernelRidgeCV on precomputed kernels, the same inner folds, brainmap's 25
penalties 2^-5 … 2^19): random_search with n_iter Dirichlet samples (concentrations 0.1 and 1, as
brainmap's), hyper_gradient from a RidgeCV start, and hyper_gradient warm-started at the random
search's deltas (himalaya's recommended use). Each method's choice is w = γ/α per unit and band
(himalaya: exp(deltas)); the evaluator computes with it, in float64, the pooled inner-CV R² (the
searches' objective: 1 − ΣSSE/ΣSS about the inner-training mean over the 5 inner folds) and the
held-out R² after a refit on the 300 training rows, and the same for the true weights' direction
(w ∝ s_b²/p_b) with the best of the 25 penalties per unit ("oracle").
"""
import argparse
import time
from pathlib import Path

import numpy as np

ALPHAS = 2.0 ** np.arange(-5, 20)


def load(folder: Path):
    effects = np.load(folder / "effects.npy")
    xs = [np.load(folder / f"x_{b}.npy") for b in range(len(effects))]
    y = np.load(folder / "y.npy")
    train = np.load(folder / "train.npy")
    test = np.load(folder / "test.npy")
    inner = np.load(folder / "inner.npy")
    mu = [x[train].mean(0) for x in xs]
    sd = [np.where(x[train].std(0) == 0, 1, x[train].std(0)) for x in xs]
    xs = [(x - m) / s for x, m, s in zip(xs, mu, sd)]
    return effects, xs, y, train, test, inner


def fold_kernels(xs, a, e):
    """Per band: K = Xa Xaᵀ, C = Xe Xaᵀ with the bands centred by the rows a's mean."""
    ks, cs = [], []
    for x in xs:
        m = x[a].mean(0)
        xa, xe = x[a] - m, x[e] - m
        ks.append(xa @ xa.T)
        cs.append(xe @ xa.T)
    return np.stack(ks), np.stack(cs)


def predict(k, c, w, ya):
    """Kernel ridge with weights w (B) and unit penalty; ya centred: C(w)(K(w) + I)⁻¹ ya."""
    kw = np.tensordot(w, k, 1)
    cw = np.tensordot(w, c, 1)
    kw[np.diag_indices_from(kw)] += 1
    return cw @ np.linalg.solve(kw, ya)


def evaluate(w, xs, y, train, test, inner):
    """Pooled inner-CV R² and held-out R² per unit for per-unit weights w (units × B)."""
    units = y.shape[1]
    sse = np.zeros(units)
    ss0 = np.zeros(units)
    for v in np.unique(inner):
        a, e = train[inner != v], train[inner == v]
        k, c = fold_kernels(xs, a, e)
        mean = y[a].mean(0)
        for j in range(units):
            p = predict(k, c, w[j], y[a, j] - mean[j]) + mean[j]
            sse[j] += ((y[e, j] - p) ** 2).sum()
            ss0[j] += ((y[e, j] - mean[j]) ** 2).sum()
    inner_r2 = 1 - sse / ss0
    k, c = fold_kernels(xs, train, test)
    mean = y[train].mean(0)
    test_r2 = np.zeros(units)
    for j in range(units):
        p = predict(k, c, w[j], y[train, j] - mean[j]) + mean[j]
        test_r2[j] = 1 - ((y[test, j] - p) ** 2).sum() / ((y[test, j] - mean[j]) ** 2).sum()
    return inner_r2, test_r2


def oracle(effects, xs, y, train, test, inner):
    """True weight direction (s_b²/p_b; irrelevant bands 1e-6 of the largest), best penalty per unit by inner R²."""
    g = np.array([e ** 2 / x.shape[1] for e, x in zip(effects, xs)])
    g = np.maximum(g, 1e-6 * g.max())
    g /= g.sum()
    units = y.shape[1]
    folds = []
    for v in np.unique(inner):
        a, e = train[inner != v], train[inner == v]
        folds.append((fold_kernels(xs, a, e), a, e))
    best = np.full(units, -np.inf)
    best_w = np.zeros((units, len(g)))
    for alpha in ALPHAS:
        sse = np.zeros(units)
        ss0 = np.zeros(units)
        for (k, c), a, e in folds:
            mean = y[a].mean(0)
            p = predict(k, c, g / alpha, y[a] - mean) + mean  # every unit at once (same weights)
            sse += ((y[e] - p) ** 2).sum(0)
            ss0 += ((y[e] - mean) ** 2).sum(0)
        r2 = 1 - sse / ss0
        better = r2 > best
        best[better] = r2[better]
        best_w[better] = g / alpha
    return best_w


def himalaya_fits(xs, y, train, inner, n_iter):
    from himalaya.backend import set_backend
    from himalaya.kernel_ridge import MultipleKernelRidgeCV

    set_backend("numpy")
    ya = y[train] - y[train].mean(0)
    ks = np.stack([((x[train] - x[train].mean(0)) @ (x[train] - x[train].mean(0)).T) for x in xs])
    cv = [(np.flatnonzero(inner != v), np.flatnonzero(inner == v)) for v in np.unique(inner)]
    out = {}
    t0 = time.perf_counter()
    rs = MultipleKernelRidgeCV(kernels="precomputed", solver="random_search", cv=cv, random_state=0,
                               solver_params=dict(n_iter=n_iter, alphas=ALPHAS, concentration=[0.1, 1.0], progress_bar=False))
    rs.fit(ks, ya)
    out["himalaya_random"] = (np.exp(np.asarray(rs.deltas_)).T, time.perf_counter() - t0)
    for name, init, iters in [("himalaya_hypergrad", "ridgecv", 100), ("himalaya_random+hypergrad", np.asarray(rs.deltas_), 30)]:
        t0 = time.perf_counter()
        hg = MultipleKernelRidgeCV(kernels="precomputed", solver="hyper_gradient", cv=cv, random_state=0,
                                   solver_params=dict(max_iter=iters, initial_deltas=init, tol=None, progress_bar=False, max_iter_inner_hyper=1, hyper_gradient_method="direct"))
        hg.fit(ks, ya)
        extra = out["himalaya_random"][1] if name.startswith("himalaya_random+") else 0.0
        out[name] = (np.exp(np.asarray(hg.deltas_)).T, time.perf_counter() - t0 + extra)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--n-iter", type=int, default=60)
    args = ap.parse_args()
    folder = Path(args.folder)
    effects, xs, y, train, test, inner = load(folder)
    methods = {}
    for name in ["brainmap_random", "brainmap_refined"]:
        if (folder / f"{name}_w.npy").exists():
            methods[name] = (np.load(folder / f"{name}_w.npy"), float((folder / f"{name}_time.txt").read_text()))
    methods.update(himalaya_fits(xs, y, train, inner, args.n_iter))
    methods["oracle (true γ direction, best α)"] = (oracle(effects, xs, y, train, test, inner), float("nan"))
    relevant = effects > 0
    print(f"{len(effects)} bands (sizes {[x.shape[1] for x in xs]}, effects {effects.tolist()}), {y.shape[1]} units, n_iter {args.n_iter}")
    print(f"{'method':36s} {'fit s':>7s} {'inner R²':>9s} {'test R²':>8s} {'share of w on irrelevant bands':>31s}")
    for name, (w, secs) in methods.items():
        inner_r2, test_r2 = evaluate(w, xs, y, train, test, inner)
        # Share of the effective weight (scaled by band size, i.e. of the kernel's trace) on irrelevant bands.
        tr = w * np.array([x.shape[1] for x in xs])[None, :]
        irrelevant = (tr[:, ~relevant].sum(1) / tr.sum(1)).mean()
        print(f"{name:36s} {secs:7.2f} {inner_r2.mean():9.5f} {test_r2.mean():8.5f} {irrelevant:31.4f}")


if __name__ == "__main__":
    main()
