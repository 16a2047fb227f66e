"""himalaya's RidgeCV on the scale row's dataset folder (issue 17), for `npm run bench -- --scale`.

Reads the folder bench/scale.ts writes (X.npy float64 samples × features, y.npy float32 samples ×
units, folds.npy int32 run per sample) and runs what a himalaya user runs for n = 10,000 samples and
p = 500 features (p < n: RidgeCV, the primal solver; KernelRidgeCV would decompose a 8,000 × 8,000
kernel instead): per outer fold (leave one run out), X z-scored on the training rows, then
`RidgeCV(alphas, fit_intercept=True, cv=<leave-one-run-out over the training runs>)` fitted on the
training rows and `predict` on the test rows; pooled out-of-sample R² per unit
(1 − Σ_folds SSE / Σ_folds SSE0, SSE0 about the training mean), as brainmap pools it.

y is memory-mapped (np.load(mmap_mode='r')) and the first `--units` columns are taken (all by
default); `n_targets_batch` 5,000 bounds RidgeCV's per-batch prediction buffers
(n_alphas × n_val × batch float32).

Prints `himalaya: <seconds> s fit, <units> units`; writes the per-unit R² (float64) to `--out`.

Usage: python bench/scale_himalaya.py --folder DIR --alphas 0.1,1,10 [--units N] --out r2.npy
"""
import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--alphas", required=True)
    ap.add_argument("--units", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from himalaya.backend import set_backend
    from himalaya.ridge import RidgeCV

    set_backend("numpy")
    x = np.load(f"{args.folder}/X.npy")
    y = np.load(f"{args.folder}/y.npy", mmap_mode="r")
    runs = np.load(f"{args.folder}/folds.npy")
    n_units = args.units or y.shape[1]
    alphas = np.array([float(a) for a in args.alphas.split(",")], dtype=np.float32)
    sse = np.zeros(n_units)
    sse0 = np.zeros(n_units)
    t0 = time.perf_counter()
    for test_run in np.unique(runs):
        test = np.flatnonzero(runs == test_run)
        train = np.flatnonzero(runs != test_run)
        mu = x[train].mean(0)
        sd = x[train].std(0)
        sd[sd == 0] = 1
        xtr = ((x[train] - mu) / sd).astype(np.float32)
        xte = ((x[test] - mu) / sd).astype(np.float32)
        ytr = np.ascontiguousarray(y[train, :n_units])
        yte = np.asarray(y[test, :n_units], dtype=np.float64)
        inner = runs[train]
        cv = [(np.flatnonzero(inner != v), np.flatnonzero(inner == v)) for v in np.unique(inner)]
        model = RidgeCV(alphas=alphas, fit_intercept=True, cv=cv, solver_params=dict(n_targets_batch=5000, n_targets_batch_refit=5000))
        model.fit(xtr, ytr)
        pred = np.asarray(model.predict(xte), dtype=np.float64)
        mean = ytr.mean(0, dtype=np.float64)
        sse += ((yte - pred) ** 2).sum(0)
        sse0 += ((yte - mean) ** 2).sum(0)
        del ytr, yte, model, pred
    seconds = time.perf_counter() - t0
    r2 = np.where(sse0 > 0, 1 - sse / np.where(sse0 > 0, sse0, 1), np.nan)
    np.save(args.out, r2.astype(np.float64))
    print(f"himalaya: {seconds:.2f} s fit, {n_units} units")


if __name__ == "__main__":
    main()
