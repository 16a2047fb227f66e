"""Plain numpy implementation of the bench workload (for comparison only; not used by brainmap).

Nested leave-one-fold-out ridge: per outer fold, features z-scored on the training rows; per inner
fold (the other outer folds, left out in turn) the design and targets re-centred on the inner
training rows, one thin SVD of the design (as himalaya does) and the validation predictions of
all 25 alphas 2^-5..2^19; per unit the alpha with the best pooled inner-CV R^2 (ties to larger
alpha); refit on the whole training set. float64 throughout. Prints wall time and mean unit R^2.

  python numpy_baseline.py [n p units folds]
      synthetic data from numpy's own generator (627 1600 13500 7 by default); times the fit
  python numpy_baseline.py --folder DIR [--inner-zscore] [--out R2.npy]
      the brainmap dataset folder DIR (y.npy, samples.csv with a `fold` column) and the features
      DIR/x.npy; times everything from reading the files to the per-unit R^2 (written to R2.npy).
      --inner-zscore re-z-scores the features on each inner training set, as `brainmap score`
      does by default.
"""
import csv
import sys
import time

import numpy as np


def zscore(fit, other):
    mu, sd = fit.mean(0), fit.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (fit - mu) / sd, (other - mu) / sd


def nested_ridge(x, y, fold, inner_zscore=False):
    """Per-unit pooled out-of-sample R^2 of nested-CV ridge (x: n x p, y: n x u, fold: n labels)."""
    n, u = y.shape
    alphas = 2.0 ** np.arange(-5, 20)
    sse = np.zeros(u)
    sse0 = np.zeros(u)
    for f in np.unique(fold):
        tr, te = np.where(fold != f)[0], np.where(fold == f)[0]
        xtr, xte = zscore(x[tr], x[te])
        ytr = y[tr]
        s_sse = np.zeros((len(alphas), u))
        s_sse0 = np.zeros(u)
        for g in np.unique(fold[tr]):
            a, v = np.where(fold[tr] != g)[0], np.where(fold[tr] == g)[0]
            xa, xv = (zscore(xtr[a], xtr[v]) if inner_zscore else (xtr[a], xtr[v]))
            xm, ym = xa.mean(0), ytr[a].mean(0)
            U, s, Vt = np.linalg.svd(xa - xm, full_matrices=False)
            uty = U.T @ (ytr[a] - ym)
            xv = (xv - xm) @ Vt.T
            yv = ytr[v] - ym
            s_sse0 += (yv ** 2).sum(0)
            for k, al in enumerate(alphas):
                pred = (xv * (s / (s ** 2 + al))) @ uty
                s_sse[k] += ((yv - pred) ** 2).sum(0)
        score = 1 - s_sse / np.where(s_sse0 > 0, s_sse0, 1) + 1e-10 * np.log(alphas)[:, None]
        best = score.argmax(0)
        xm, ym = xtr.mean(0), ytr.mean(0)
        U, s, Vt = np.linalg.svd(xtr - xm, full_matrices=False)
        uty = U.T @ (ytr - ym)
        xv = (xte - xm) @ Vt.T
        yhat = np.empty((len(te), u))
        for k, al in enumerate(alphas):
            cols = best == k
            if cols.any():
                yhat[:, cols] = (xv * (s / (s ** 2 + al))) @ uty[:, cols] + ym[cols]
        sse += ((y[te] - yhat) ** 2).sum(0)
        sse0 += ((y[te] - ytr.mean(0)) ** 2).sum(0)
    return 1 - sse / sse0


def synthetic(n=627, p=1600, u=13500, folds=7):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, p))
    y = np.zeros((n, u))
    basis = rng.standard_normal((p, 8)) / np.sqrt(p)
    mix = rng.standard_normal((8, u))
    y[:, ::3] = (x @ basis @ mix)[:, ::3]
    y += rng.standard_normal((n, u))
    fold = (np.arange(n) * folds) // n
    t0 = time.perf_counter()
    r2 = nested_ridge(x, y, fold)
    t1 = time.perf_counter()
    print(f"numpy baseline: fit {t1 - t0:.2f} s; mean unit R^2 {r2.mean():.4f} (numpy {np.__version__})")


def folder(args):
    d = args[args.index("--folder") + 1]
    out = args[args.index("--out") + 1] if "--out" in args else None
    t0 = time.perf_counter()
    x = np.load(f"{d}/x.npy").astype(np.float64)
    y = np.load(f"{d}/y.npy").astype(np.float64)
    with open(f"{d}/samples.csv", newline="") as fh:
        fold = np.array([row["fold"] for row in csv.DictReader(fh)])
    tf = time.perf_counter()
    r2 = nested_ridge(x, y, fold, inner_zscore="--inner-zscore" in args)
    t1 = time.perf_counter()
    if out:
        np.save(out, r2)
    print(f"numpy baseline: {t1 - t0:.2f} s (read + fit), fit {t1 - tf:.2f} s; mean unit R^2 {r2.mean():.4f} (numpy {np.__version__})")


if __name__ == "__main__":
    if "--folder" in sys.argv:
        folder(sys.argv[1:])
    else:
        synthetic(*[int(a) for a in sys.argv[1:]])
