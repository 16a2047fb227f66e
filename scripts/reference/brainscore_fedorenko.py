#!/usr/bin/env python3
"""Reference for Brain-Score's linear-shuffle score (METHODS §9.2) on the real Fedorenko2016
assembly, computed with scikit-learn and numpy only (the file read with xarray, as Brain-Score's
loader does): test/pipeline/brainscore.test.ts holds the numbers printed here.

Features: one-hot word position (word_num 1…7; word 0 is the intercept's), per row of the file.
Protocol: ShuffleSplit(n_splits=10, train_size=0.9, random_state=1) over the rows in file order;
LinearRegression (intercept, lstsq) on the raw features; per neuroid Brain-Score's batched
Pearson Σ (x̃/(‖x̃‖+1e-8))·(ỹ/(‖ỹ‖+1e-8)); median over neuroids per split; mean over splits;
normalised = clip(raw / ceiling, 0, 1).

Run: .venv/bin/python scripts/reference/brainscore_fedorenko.py   (numpy, scikit-learn, xarray, h5netcdf)
"""
import os

import numpy as np
import sklearn
import xarray as xr
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import ShuffleSplit

HERE = os.path.dirname(os.path.abspath(__file__))
NC = os.path.join(HERE, '..', '..', '..', 'shared', 'data', 'fedorenko2016', 'fedorenko2016.nc')


def pearson(pred, target):
    p = pred - pred.mean(0)
    t = target - target.mean(0)
    p = p / (np.linalg.norm(p, axis=0) + 1e-8)
    t = t / (np.linalg.norm(t, axis=0) + 1e-8)
    return (p * t).sum(0)


def main():
    a = xr.open_dataset(NC, engine='h5netcdf')
    y = np.asarray(a['data'].values, dtype=np.float64)
    word_num = np.asarray(a['word_num'].values)
    positions = sorted(set(word_num.tolist()))
    x = np.stack([(word_num == w).astype(np.float64) for w in positions[1:]], axis=1)
    print(f'numpy {np.__version__}, scikit-learn {sklearn.__version__}; y {y.shape}, x {x.shape}, word_num {positions}')
    per_split = []
    for train, test in ShuffleSplit(n_splits=10, train_size=0.9, random_state=1).split(x):
        pred = LinearRegression().fit(x[train], y[train]).predict(x[test])
        per_split.append(float(np.median(pearson(pred, y[test]))))
    raw = float(np.mean(per_split))
    print('per_split =', per_split)
    print('raw =', repr(raw))
    for ceiling in (0.225257, 0.2, 0.01):
        print(f'normalised (ceiling {ceiling}) =', repr(float(np.clip(raw / ceiling, 0, 1))))


if __name__ == '__main__':
    main()
