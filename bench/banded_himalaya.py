"""himalaya's random search on the banded bench workload (issue 13 row 5), for `npm run bench`.

Reads a folder written by bench/banded.ts (y.npy float32 samples × units, bands: band0.npy,
band1.npy float64 samples × columns, folds.npy int32 outer-fold label per sample), and runs the same
nested cross-validation as brainmap's banded ridge: contiguous outer folds (leave one out), inner
leave-one-fold-out over the remaining folds, each band z-scored on the outer training rows, one
linear kernel per band, himalaya's MultipleKernelRidgeCV (solver random_search, the kernel form of
GroupRidgeCV) with `--n-iter` Dirichlet samples (concentrations alternating 0.1 and 1, as brainmap's) and
brainmap's 25 penalties 2^-5 … 2^19, targets centred on the outer training mean. Prints the fit time
(all outer folds) as `himalaya: <seconds> s fit, n_iter <n>`.

Usage: python bench/banded_himalaya.py --folder DIR --n-iter 10
"""
import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--n-iter", type=int, default=10)
    args = ap.parse_args()
    from himalaya.backend import set_backend
    from himalaya.kernel_ridge import MultipleKernelRidgeCV

    set_backend("numpy")
    y = np.load(f"{args.folder}/y.npy").astype(np.float32)
    bands = [np.load(f"{args.folder}/band0.npy"), np.load(f"{args.folder}/band1.npy")]
    folds = np.load(f"{args.folder}/folds.npy")
    labels = np.unique(folds)
    alphas = 2.0 ** np.arange(-5, 20)
    t0 = time.perf_counter()
    for test_label in labels:
        test = np.flatnonzero(folds == test_label)
        train = np.flatnonzero(folds != test_label)
        ks_train, ks_test = [], []
        for x in bands:
            mu = x[train].mean(0)
            sd = x[train].std(0)
            sd[sd == 0] = 1
            xa = ((x[train] - mu) / sd).astype(np.float32)
            xe = ((x[test] - mu) / sd).astype(np.float32)
            ks_train.append(xa @ xa.T)
            ks_test.append(xe @ xa.T)
        ytr = y[train] - y[train].mean(0)
        inner_labels = folds[train]
        cv = [(np.flatnonzero(inner_labels != v), np.flatnonzero(inner_labels == v)) for v in np.unique(inner_labels)]
        model = MultipleKernelRidgeCV(
            kernels="precomputed",
            solver="random_search",
            solver_params=dict(n_iter=args.n_iter, alphas=alphas, concentration=[0.1, 1.0], progress_bar=False, n_targets_batch=2000, n_alphas_batch=5, n_targets_batch_refit=2000),
            cv=cv,
            random_state=0,
        )
        model.fit(np.stack(ks_train), ytr)
        model.predict(np.stack(ks_test))
    print(f"himalaya: {time.perf_counter() - t0:.2f} s fit, n_iter {args.n_iter}")


if __name__ == "__main__":
    main()
