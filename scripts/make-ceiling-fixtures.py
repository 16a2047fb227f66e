"""Simulated datasets with a known noise ceiling and numpy reference values for
test/scoring/ceiling.test.ts (docs/method.md §9). Run with /work/main/.venv/bin/python.

Writes test/fixtures/ceiling/
  split-half/    y.npy (float32), samples.csv (with a repeat column), units.csv
  subject-pool/  y.npy (float32), samples.csv, units.csv
  reference.json numpy values (independent re-implementation of §9) and the true ceilings

split-half: 12 units (3 subjects × 4 noise levels), y = signal(stimulus) + noise(presentation),
signal variance 1, noise variance s2 → single-presentation reliability 1/(1+s2), ceiling
sqrt(1/(1+s2)). Experiment 'a': 200 stimuli × 4 repeats (all 3 half splits); experiment 'b':
30 stimuli × 11 repeats (odd, 1386 splits > 100 → 100 random splits from RandomState(0)).

subject-pool: 5 subjects × 3 units, 120 stimuli, y = two shared latent signals · unit loadings
(unit norm) + noise of variance 1, so a unit's single-presentation reliability is 0.5.
"""
import itertools
import json
import os

import numpy as np
from scipy.optimize import curve_fit

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'ceiling')


def write_folder(d, y, samples_header, samples_rows, units_header, units_rows):
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, 'y.npy'), y.astype(np.float32))
    with open(os.path.join(d, 'samples.csv'), 'w') as f:
        f.write(','.join(samples_header) + '\n')
        for r in samples_rows:
            f.write(','.join(str(v) for v in r) + '\n')
    with open(os.path.join(d, 'units.csv'), 'w') as f:
        f.write(','.join(units_header) + '\n')
        for r in units_rows:
            f.write(','.join(str(v) for v in r) + '\n')


def sb(r, k):
    return k * r / (1 + (k - 1) * r)


def half_splits(R, max_splits=100, seed=0):
    h = R // 2
    out = []
    count = len(list(itertools.combinations(range(R), h))) * len(list(itertools.combinations(range(R - h), h))) // 2
    if count <= max_splits:
        for a in itertools.combinations(range(R), h):
            rest = [i for i in range(R) if i not in a]
            for b in itertools.combinations(rest, h):
                if a[0] < b[0]:
                    out.append((list(a), list(b)))
        return out
    rng = np.random.RandomState(seed)
    for _ in range(max_splits):
        p = rng.permutation(R)
        out.append((sorted(p[:h]), sorted(p[h:2 * h])))
    return out


def split_half(Y):
    """Y: stimuli × repeats × units → r_half, reliability, ceiling per unit, n splits."""
    S, R, U = Y.shape
    h = R // 2
    splits = half_splits(R)
    rs = np.zeros((len(splits), U))
    for i, (a, b) in enumerate(splits):
        ma = Y[:, a, :].mean(axis=1)
        mb = Y[:, b, :].mean(axis=1)
        ma = ma - ma.mean(axis=0)
        mb = mb - mb.mean(axis=0)
        rs[i] = (ma * mb).sum(0) / np.sqrt((ma ** 2).sum(0) * (mb ** 2).sum(0))
    r = rs.mean(axis=0)
    one = sb(r, 1 / h)
    ceil = np.where(one > 0, np.sqrt(np.clip(one, 0, None)), np.nan)
    return r, sb(r, 2), ceil, len(splits)


def shuffle_splits(n, n_splits=10, train=0.9, seed=1):
    n_train = int(np.floor(train * n))
    n_test = n - n_train
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_splits):
        p = rng.permutation(n)
        out.append((p[n_test:n_test + n_train], p[:n_test]))
    return out


def ols_predict(xtr, ytr, xte):
    mx = xtr.mean(0)
    my = ytr.mean(0)
    w = np.linalg.lstsq(xtr - mx, ytr - my, rcond=None)[0]
    return (xte - mx) @ w + my


def bs_pearson(p, t):
    p = p - p.mean(0)
    t = t - t.mean(0)
    return ((p / (np.linalg.norm(p, axis=0) + 1e-8)) * (t / (np.linalg.norm(t, axis=0) + 1e-8))).sum(0)


TAU_LO, TAU_HI, TAU_GRID, BISECT = np.log(1e-3), np.log(1e6), 400, 200


def profile(xs, ys, tau):
    g = 1 - np.exp(-xs / tau)
    v0 = min(1.0, max(0.0, float((g * ys).sum() / (g * g).sum())))
    e = v0 * (1 - np.exp(-xs / tau)) - ys
    return v0, float((e * e).sum())


def slope(xs, ys, u):
    tau = np.exp(u)
    v0, _ = profile(xs, ys, tau)
    ex = np.exp(-xs / tau)
    return float((2 * (v0 * (1 - ex) - ys) * v0 * (-ex * xs / tau)).sum())


def fit_saturating(xs, ys):
    step = (TAU_HI - TAU_LO) / TAU_GRID
    sses = [profile(xs, ys, np.exp(TAU_LO + g * step))[1] for g in range(TAU_GRID + 1)]
    best = int(np.argmin(sses))
    tau_g = np.exp(TAU_LO + best * step)
    v_g, s_g = profile(xs, ys, tau_g)
    lo = TAU_LO + max(0, best - 1) * step
    hi = TAU_LO + min(TAU_GRID, best + 1) * step
    if not (slope(xs, ys, lo) < 0 and slope(xs, ys, hi) > 0):
        return v_g, tau_g, s_g
    for _ in range(BISECT):
        mid = (lo + hi) / 2
        if mid <= lo or mid >= hi:
            break
        if slope(xs, ys, mid) > 0:
            hi = mid
        else:
            lo = mid
    tau_r = np.exp((lo + hi) / 2)
    v_r, s_r = profile(xs, ys, tau_r)
    return (v_r, tau_r, s_r) if s_r <= s_g else (v_g, tau_g, s_g)


def saturating(x, v0, tau):
    return v0 * (1 - np.exp(-x / tau))


def main():
    ref = {}
    # ---------------- split-half ----------------
    rng = np.random.default_rng(20261130)
    s2 = np.array([0.25, 1.0, 3.0, 9.0] * 3)
    subjects = [str(1 + i // 4) for i in range(12)]
    U = 12
    rows, ys = [], []
    sh = {}
    for exp, S, R, pre in (('a', 200, 4, 's'), ('b', 30, 11, 't')):
        signal = rng.standard_normal((S, U))
        Y = signal[:, None, :] + rng.standard_normal((S, R, U)) * np.sqrt(s2)
        Y = Y.astype(np.float32).astype(np.float64)
        for q in range(R):  # one block (run) per repeat, all stimuli in each
            for s in range(S):
                rows.append((exp, f'{exp}-run{q + 1}', f'{pre}{s}', q + 1))
                ys.append(Y[s, q])
        r, rel, ceil, n = split_half(Y)
        sh[exp] = {'n_stimuli': S, 'n_repeats': R, 'n_splits': n, 'r_half': r.tolist(), 'reliability': rel.tolist(), 'ceiling': ceil.tolist()}
    write_folder(os.path.join(OUT, 'split-half'), np.array(ys), ['experiment', 'block', 'stimulus_id', 'repeat'], rows,
                 ['id', 'subject'], [(f'u{j}', subjects[j]) for j in range(U)])
    sh['true_ceiling'] = np.sqrt(1 / (1 + s2)).tolist()
    sh['true_reliability_one'] = (1 / (1 + s2)).tolist()
    sh['subjects'] = subjects
    ref['split_half'] = sh

    # ---------------- subject-pool ----------------
    rng = np.random.default_rng(7)
    n, n_subj, per = 120, 5, 3
    latent = rng.standard_normal((n, 2))
    w = rng.standard_normal((2, n_subj * per))
    w /= np.linalg.norm(w, axis=0)
    Y = (latent @ w + rng.standard_normal((n, n_subj * per))).astype(np.float32).astype(np.float64)
    subj = [f'S{1 + j // per}' for j in range(n_subj * per)]
    write_folder(os.path.join(OUT, 'subject-pool'), Y, ['block', 'stimulus_id'], [(f'b{i // 10}', f'x{i}') for i in range(n)],
                 ['id', 'subject'], [(f'e{j}', subj[j]) for j in range(n_subj * per)])
    names = sorted(set(subj))
    cols = [[j for j in range(len(subj)) if subj[j] == s] for s in names]
    splits = shuffle_splits(n)
    sizes = list(range(2, n_subj + 1))
    scores = [[[] for _ in sizes] for _ in subj]
    for ki, k in enumerate(sizes):
        for subset in itertools.combinations(range(n_subj), k):
            for held in subset:
                pool = [c for s in subset if s != held for c in cols[s]]
                x = Y[:, pool]
                t = Y[:, cols[held]]
                for tr, te in splits:
                    r = bs_pearson(ols_predict(x[tr], t[tr], x[te]), t[te])
                    for i, c in enumerate(cols[held]):
                        scores[c][ki].append(float(r[i]))
    ceilings, v0_all, scipy_gap = [], [], 0.0
    for c in range(len(subj)):
        rng_b = np.random.RandomState(0)
        v0s = []
        for b in range(100):
            means = []
            for ki in range(len(sizes)):
                ch = np.array(scores[c][ki])
                means.append(ch[rng_b.randint(0, len(ch), size=len(ch))].mean())
            xs, ysb = np.array(sizes, float), np.array(means)
            v0, tau, _ = fit_saturating(xs, ysb)
            v0s.append(v0)
            if b < 5:  # sanity: scipy's curve_fit (Brain-Score's fitter) finds the same optimum
                p, _ = curve_fit(saturating, xs, ysb, bounds=([0, 1e-3], [1, 1e6]), p0=[min(1, max(ysb)), 1.0], ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=100000)
                scipy_gap = max(scipy_gap, abs(p[0] - v0))
        ceilings.append(float(np.median(v0s)))
        v0_all.append(v0s)
    print('max |v0 numpy profile − scipy curve_fit| over 5 bootstraps × 15 units:', scipy_gap)
    ref['subject_pool'] = {
        'subjects': subj,
        'sizes': sizes,
        'mean_score': [[float(np.mean(s)) for s in scores[c]] for c in range(len(subj))],
        'n_scores': [[len(s) for s in scores[c]] for c in range(len(subj))],
        'ceiling': ceilings,
        'true_ceiling': np.sqrt(0.5),
        'first_unit_v0': v0_all[0],
    }
    # ---------------- closed forms for the fitter ----------------
    xs = np.array([2.0, 3.0, 4.0, 5.0, 6.0])
    exact = saturating(xs, 0.6, 1.7)
    v0, tau, _ = fit_saturating(xs, exact)
    ref['fit_exact'] = {'xs': xs.tolist(), 'ys': exact.tolist(), 'v0': 0.6, 'tau': 1.7, 'numpy_v0': v0, 'numpy_tau': tau}
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1)
        f.write('\n')
    print('split-half a ceilings', np.round(sh['a']['ceiling'], 3))
    print('true', np.round(sh['true_ceiling'], 3))
    print('subject-pool ceilings', np.round(ceilings, 3))


if __name__ == '__main__':
    main()
