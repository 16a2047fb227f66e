#!/usr/bin/env python3
"""Independent numpy/scipy reference of the authors' pipeline (Feghhi, Hadidi et al. 2024) for
Fedorenko2016 with a single feature space (OASM), written from /work/shared/METHODS.md only.

What it reproduces (section numbers refer to METHODS.md):
  §2.1/2.2  labels: arange(416) (contiguous) or np.random.seed(42); np.random.shuffle(arange(416))
            (shuffled); 13 outer folds of 32: test = labels[i:i+32],
            train = labels[setdiff1d(arange(416), arange(i, i+32))].
  §2.3      inner FedSplitter: 8 consecutive blocks of 48 rows of the (384-row) training array.
  §3.1      X = OASM: gaussian_filter1d(eye(8), sigma, axis=1) on each sentence block (scipy).
  §4.1      StandardScaler on the outer-training X (population variance, sklearn's two-pass
            accumulation and constant-feature rule var <= n*eps*var + (n*mean*eps)^2 -> scale 1).
  §4.2      ridge as the authors' himalaya fork: alphas 2^-5..2^19; outer centering (X_offset,
            Y_offset); per inner fold re-centering of X and Y by the inner-training means; thin SVD
            of X_tr; pooled inner-CV R^2 with weights n_val/sum(n_val) (0 where the denominator is
            0) + 1e-10*ln(alpha) tie-break; per-unit argmax; refit on the whole outer train with
            the outer centering and intercept = Y_offset - X_offset W.
  §4.4      OLS: w = pinv(X'X) X'(y - ybar_train), pinv cutoff max(p,p)*eps_float32*sigma_max
            (torch.linalg.pinv default rtol for float32 input), prediction X_test w + ybar_train.
  §5.1-5.3  pooled out-of-sample R^2 against the outer-training-mean intercept model; Schrimpf-
            style Pearson r per fold (invalid -> 0 when ||v - mean|| <= 1e-5 |mean| for y or
            y_hat), unweighted mean over the 13 folds.
  §5.5      per subject: NaN -> 0, mean over units, clip >= 0; dataset = mean over subjects.

Everything runs in float64 (the authors cast X and y to float32 and ran on CUDA), so the numbers
differ from the published ones in the low digits; the alpha choice can differ where inner-CV
scores are nearly tied.

y comes from /work/shared/data/fedorenko2016/fedorenko2016.nc. h5py is used when importable;
otherwise `node scripts/reference/dump_fedorenko.mjs` (h5wasm) dumps `data` and `subject_UID` to
.npy in a temporary directory.

Usage: python3 scripts/reference/paper_pipeline.py [--nc PATH] [--out PATH] [--sigmas 1.8,0.1,4.2]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.ndimage import gaussian_filter1d

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
DEFAULT_NC = '/work/shared/data/fedorenko2016/fedorenko2016.nc'
DEFAULT_OUT = os.path.join(REPO, 'test', 'fixtures', 'reference', 'fedorenko_oasm_reference.json')

N_SAMPLES = 416
WORDS_PER_SENTENCE = 8
OUTER_SPLIT = 32
INNER_SPLIT = 48
ALPHA_EXPONENTS = np.arange(-5, 20)  # 2^-5 .. 2^19, the 25 positive values (§4.2)
ALPHAS = 2.0 ** ALPHA_EXPONENTS
EPS64 = np.finfo(np.float64).eps
EPS32 = float(np.finfo(np.float32).eps)

# DATASETS.md §2.1 checks
EXPECTED_SUM = 7306.060126317192
EXPECTED_00 = 0.06285949525470777


# --------------------------------------------------------------------------------------- data

def load_fedorenko(nc_path: str) -> tuple[np.ndarray, np.ndarray, str]:
    try:
        import h5py  # type: ignore

        with h5py.File(nc_path, 'r') as f:
            y = np.asarray(f['data'][...], dtype=np.float64)
            subj = np.asarray(f['subject_UID'][...], dtype=np.int64)
        how = 'h5py'
    except ImportError:
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(HERE, 'dump_fedorenko.mjs')
            subprocess.run(['node', script, nc_path, tmp], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
            y = np.load(os.path.join(tmp, 'data.npy'))
            subj = np.load(os.path.join(tmp, 'subject_UID.npy'))
        how = 'h5wasm dump (scripts/reference/dump_fedorenko.mjs)'
    if y.shape != (N_SAMPLES, 97):
        raise SystemExit(f'unexpected data shape {y.shape}')
    if float(y.sum()) != EXPECTED_SUM or float(y[0, 0]) != EXPECTED_00:
        raise SystemExit(f'data check failed: sum {y.sum()!r} data[0,0] {y[0, 0]!r}')
    return y, subj, how


# ----------------------------------------------------------------------------------- features

def oasm(n: int, block_starts: np.ndarray, sigma: float) -> np.ndarray:
    """§3.1: identity with each diagonal block replaced by gaussian_filter1d(I_k, sigma, axis=1)."""
    X = np.eye(n)
    for s, e in zip(block_starts[:-1], block_starts[1:]):
        X[s:e, s:e] = gaussian_filter1d(np.eye(e - s), sigma, axis=1)
    return X


# ------------------------------------------------------------------------------------- splits

def make_labels(shuffled: bool) -> np.ndarray:
    labels = np.arange(N_SAMPLES)
    if shuffled:
        np.random.seed(42)
        np.random.shuffle(labels)
    return labels


def outer_folds(labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    folds = []
    for i in range(0, N_SAMPLES, OUTER_SPLIT):
        test = labels[i:i + OUTER_SPLIT]
        train = labels[np.setdiff1d(np.arange(N_SAMPLES), np.arange(i, i + OUTER_SPLIT))]
        folds.append((train, test))
    return folds


def fed_splitter(n_train: int, split_size: int = INNER_SPLIT) -> list[tuple[np.ndarray, np.ndarray]]:
    """FedSplitter: consecutive blocks of `split_size` rows of the training array (indices
    relative to that array)."""
    idx = np.arange(n_train)
    out = []
    for s in range(0, n_train, split_size):
        val = idx[s:s + split_size]
        tr = np.setdiff1d(idx, val)
        out.append((tr, val))
    return out


# ------------------------------------------------------------------------------ preprocessing

def standard_scaler_fit(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sklearn StandardScaler.fit (with_mean, with_std), float64 accumulation as in
    _incremental_mean_and_var for a single batch, and _is_constant_feature -> scale 1."""
    n = X.shape[0]
    new_sum = X.sum(axis=0, dtype=np.float64)
    mean = new_sum / n
    T = new_sum / n
    temp = X - T
    correction = temp.sum(axis=0)
    unnorm = (temp ** 2).sum(axis=0)
    unnorm -= correction ** 2 / n
    var = unnorm / n
    scale = np.sqrt(var)
    upper = n * EPS64 * var + (n * mean * EPS64) ** 2
    constant = var <= upper
    scale[constant] = 1.0
    return mean, scale


# ---------------------------------------------------------------------------------- estimators

def ridge_himalaya_fork(X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray,
                        inner: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (Y_hat_test, alpha_index per target, best inner-CV score per target)."""
    n_alpha = ALPHAS.size
    n_targets = Y_train.shape[1]
    X_offset = X_train.mean(axis=0)
    Y_offset = Y_train.mean(axis=0)
    Xc = X_train - X_offset
    Yc = Y_train - Y_offset

    n_vals = np.array([len(v) for _, v in inner], dtype=np.float64)
    w = n_vals / n_vals.sum()
    mse = np.zeros((len(inner), n_alpha, n_targets))
    mse0 = np.zeros((len(inner), n_targets))
    for f, (tr, val) in enumerate(inner):
        Xtr, Xval = Xc[tr], Xc[val]
        Ytr, Yval = Yc[tr], Yc[val]
        xm = Xtr.mean(axis=0)
        ym = Ytr.mean(axis=0)
        Xtr = Xtr - xm
        Xval = Xval - xm
        Ytr = Ytr - ym
        Yval = Yval - ym
        U, s, Vt = np.linalg.svd(Xtr, full_matrices=False)
        UtY = U.T @ Ytr
        XvV = Xval @ Vt.T
        for a, alpha in enumerate(ALPHAS):
            d = s / (s ** 2 + alpha)
            Yhat = (XvV * d) @ UtY
            mse[f, a] = np.mean((Yval - Yhat) ** 2, axis=0)
        mse0[f] = np.mean(Yval ** 2, axis=0)

    num = np.tensordot(w, mse, axes=(0, 0))          # (n_alpha, n_targets)
    den = w @ mse0                                    # (n_targets,)
    with np.errstate(divide='ignore', invalid='ignore'):
        r2cv = 1.0 - num / den[None, :]
    r2cv[:, den == 0] = 0.0
    r2cv = np.where(np.isfinite(r2cv), r2cv, 0.0)
    score = r2cv + 1e-10 * np.log(ALPHAS)[:, None]
    best = np.argmax(score, axis=0)
    best_score = r2cv[best, np.arange(n_targets)]

    # refit on the whole outer-training set
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    UtY = U.T @ Yc
    W = np.zeros((X_train.shape[1], n_targets))
    for a in np.unique(best):
        cols = best == a
        d = s / (s ** 2 + ALPHAS[a])
        W[:, cols] = Vt.T @ (d[:, None] * UtY[:, cols])
    intercept = Y_offset - X_offset @ W
    return X_test @ W + intercept, best, best_score


def ols_pinv(X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """§4.4: w = pinv(X'X) X'(y - ybar), torch.linalg.pinv default cutoff for float32 input."""
    ybar = Y_train.mean(axis=0)
    XtX = X_train.T @ X_train
    p = XtX.shape[0]
    U, s, Vt = np.linalg.svd(XtX)
    cutoff = max(p, p) * EPS32 * s.max()
    s_inv = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    pinv = (Vt.T * s_inv) @ U.T
    W = pinv @ (X_train.T @ (Y_train - ybar))
    return X_test @ W + ybar


# ------------------------------------------------------------------------------------ metrics

def pearson_schrimpf(y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """Per-unit Pearson r of one fold; 0 where y or y_hat is (nearly) constant (§5.3)."""
    out = np.zeros(y.shape[1])
    for v in range(y.shape[1]):
        a, b = y[:, v], yhat[:, v]
        am, bm = a.mean(), b.mean()
        da, db = a - am, b - bm
        na, nb = np.linalg.norm(da), np.linalg.norm(db)
        if na <= 1e-5 * abs(am) or nb <= 1e-5 * abs(bm):
            out[v] = 0.0
            continue
        r = float(np.dot(da / na, db / nb))
        out[v] = max(-1.0, min(1.0, r))
    return out


def aggregate(unit_scores: np.ndarray, subjects: np.ndarray) -> tuple[dict, float]:
    s = np.nan_to_num(unit_scores, nan=0.0)
    per = {}
    vals = []
    for subj in np.unique(subjects):
        m = float(s[subjects == subj].mean())
        c = max(m, 0.0)
        per[str(int(subj))] = {'n_units': int((subjects == subj).sum()), 'mean_unclipped': m, 'clipped': c}
        vals.append(c)
    return per, float(np.mean(vals))


# ----------------------------------------------------------------------------------- pipeline

def run_condition(y: np.ndarray, X: np.ndarray, shuffled: bool, estimator: str) -> dict:
    labels = make_labels(shuffled)
    folds = outer_folds(labels)
    n_units = y.shape[1]
    sse = np.zeros(n_units)
    sse0 = np.zeros(n_units)
    r_sum = np.zeros(n_units)
    alpha_log2 = []
    val_scores = []
    for train, test in folds:
        Xtr, Xte = X[train], X[test]
        ytr, yte = y[train], y[test]
        mean, scale = standard_scaler_fit(Xtr)
        Xtr = (Xtr - mean) / scale
        Xte = (Xte - mean) / scale
        if estimator == 'ridge':
            yhat, best, best_score = ridge_himalaya_fork(Xtr, ytr, Xte, fed_splitter(len(train)))
            alpha_log2.append([int(ALPHA_EXPONENTS[b]) for b in best])
            val_scores.append(best_score)
        else:
            yhat = ols_pinv(Xtr, ytr, Xte)
        sse += ((yhat - yte) ** 2).sum(axis=0)
        sse0 += ((yte - ytr.mean(axis=0)) ** 2).sum(axis=0)
        r_sum += pearson_schrimpf(yte, yhat)
    with np.errstate(divide='ignore', invalid='ignore'):
        r2 = 1.0 - sse / sse0
    r = r_sum / len(folds)
    out = {'unit_r2': r2, 'unit_r': r}
    if estimator == 'ridge':
        out['alpha_log2'] = alpha_log2
        out['val_r2'] = np.array(val_scores)
    return out


def sig(x: float) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return float(f'{float(x):.10g}')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--nc', default=DEFAULT_NC)
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--sigmas', default='1.8,0.1,4.2')
    args = ap.parse_args()
    t0 = time.time()

    y, subjects, how = load_fedorenko(args.nc)
    starts = np.arange(0, N_SAMPLES + 1, WORDS_PER_SENTENCE)
    sigmas = [float(s) for s in args.sigmas.split(',')]

    results: dict = {}
    for sigma in sigmas:
        X = oasm(N_SAMPLES, starts, sigma)
        key = f'{sigma:g}'
        results[key] = {}
        for split in ('shuffled', 'contiguous'):
            results[key][split] = {}
            for est in ('ridge', 'ols'):
                res = run_condition(y, X, split == 'shuffled', est)
                subj_r2, ds_r2 = aggregate(res['unit_r2'], subjects)
                subj_r, ds_r = aggregate(res['unit_r'], subjects)
                entry = {
                    'dataset_r2': sig(ds_r2),
                    'dataset_r': sig(ds_r),
                    'subjects': {
                        k: {
                            'n_units': subj_r2[k]['n_units'],
                            'r2': sig(subj_r2[k]['clipped']),
                            'r': sig(subj_r[k]['clipped']),
                            'r2_mean_unclipped': sig(subj_r2[k]['mean_unclipped']),
                            'r_mean_unclipped': sig(subj_r[k]['mean_unclipped']),
                        }
                        for k in subj_r2
                    },
                    'unit_r2': [sig(v) for v in res['unit_r2']],
                    'unit_r': [sig(v) for v in res['unit_r']],
                }
                if est == 'ridge':
                    entry['alpha_log2_per_fold_unit'] = res['alpha_log2']
                results[key][split][est] = entry
                print(f'sigma={key:>4} {split:>10} {est:>5}: R2 {ds_r2:.6f}  r {ds_r:.6f}  '
                      + ' '.join(f"s{k}:{subj_r2[k]['clipped']:.4f}/{subj_r[k]['clipped']:.4f}" for k in subj_r2),
                      file=sys.stderr)

    shuffled_labels = make_labels(True)
    doc = {
        'description': 'Independent numpy/scipy reference of the Feghhi/Hadidi et al. pipeline for '
                       'Fedorenko2016 with OASM features (scripts/reference/paper_pipeline.py; METHODS.md '
                       '§2.1-2.3, §3.1, §4.1, §4.2, §4.4, §5.1-5.5).',
        'precision': 'float64 throughout (the authors used float32 on CUDA); OLS pinv cutoff uses '
                     'max(p,p)*eps_float32*sigma_max as torch.linalg.pinv does for float32 input.',
        'rounding': 'floats rounded to 10 significant digits',
        'data': {
            'file': os.path.basename(args.nc),
            'loader': how,
            'shape': list(y.shape),
            'sum': float(y.sum()),
            'data00': float(y[0, 0]),
            'subject_UID_counts': {str(int(k)): int(v) for k, v in zip(*np.unique(subjects, return_counts=True))},
        },
        'splits': {
            'outer': '13 folds: test = labels[i:i+32], train = labels[setdiff(arange(416), arange(i,i+32))]',
            'inner': 'FedSplitter(48): 8 consecutive blocks of the 384-row training array',
            'shuffled_labels_first20': [int(v) for v in shuffled_labels[:20]],
        },
        'features': 'OASM: gaussian_filter1d(eye(8), sigma, axis=1) per sentence (blocks arange(0,417,8)); '
                    'StandardScaler on outer train (sklearn constant-feature rule)',
        'ridge': {
            'alphas': 'log2 alpha = -5..19 (25 values); alpha_log2_per_fold_unit[fold][unit] is the chosen exponent',
            'selection': 'pooled inner-CV R2 (weights n_val/sum n_val; 0 where denominator 0) + 1e-10*ln(alpha); argmax per unit',
        },
        'metrics': {
            'r2': 'pooled out-of-sample R2 = 1 - SSE/SSE0 with SSE0 from the outer-training-mean intercept model',
            'r': 'Pearson r per fold (0 when ||v-mean|| <= 1e-5|mean| for y or y_hat), unweighted mean over 13 folds',
            'aggregation': 'per subject: NaN->0, mean over units, clip >= 0 (r2/r); dataset = mean over subjects. '
                           '*_mean_unclipped are the per-subject means before clipping.',
        },
        'results': results,
        'runtime_s': None,
    }
    doc['runtime_s'] = round(time.time() - t0, 1)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {args.out} in {doc["runtime_s"]} s', file=sys.stderr)


if __name__ == '__main__':
    main()
