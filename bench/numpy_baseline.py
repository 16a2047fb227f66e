"""Plain numpy implementation of the bench workload (for comparison only; not used by brainmap).

627 samples x 1600 features, 13,500 units, 7 contiguous folds, nested leave-one-fold-out,
25 alphas 2^-5..2^19, ridge via thin SVD of the centred training design (as himalaya does),
per-unit alpha by pooled inner-CV R^2. Prints wall time and mean unit R^2.
"""
import sys
import time

import numpy as np


def main(n=627, p=1600, u=13500, folds=7):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, p))
    y = np.zeros((n, u))
    basis = rng.standard_normal((p, 8)) / np.sqrt(p)
    mix = rng.standard_normal((8, u))
    y[:, ::3] = (x @ basis @ mix)[:, ::3]
    y += rng.standard_normal((n, u))
    fold = (np.arange(n) * folds) // n
    alphas = 2.0 ** np.arange(-5, 20)
    t0 = time.perf_counter()
    sse = np.zeros(u)
    sse0 = np.zeros(u)
    for f in range(folds):
        tr, te = np.where(fold != f)[0], np.where(fold == f)[0]
        mu, sd = x[tr].mean(0), x[tr].std(0)
        xtr, xte = (x[tr] - mu) / sd, (x[te] - mu) / sd
        ytr = y[tr]
        s_sse = np.zeros((len(alphas), u))
        s_sse0 = np.zeros(u)
        for g in np.unique(fold[tr]):
            a, v = np.where(fold[tr] != g)[0], np.where(fold[tr] == g)[0]
            xm, ym = xtr[a].mean(0), ytr[a].mean(0)
            U, s, Vt = np.linalg.svd(xtr[a] - xm, full_matrices=False)
            uty = U.T @ (ytr[a] - ym)
            xv = (xtr[v] - xm) @ Vt.T
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
    t1 = time.perf_counter()
    r2 = 1 - sse / sse0
    print(f"numpy baseline: fit {t1 - t0:.2f} s; mean unit R^2 {r2.mean():.4f} (numpy {np.__version__})")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:]])
