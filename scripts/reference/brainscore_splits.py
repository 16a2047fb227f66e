#!/usr/bin/env python3
"""Reference for Brain-Score's linear-shuffle splits (METHODS §9.2) on the committed assembly
fixtures: which stimuli each ShuffleSplit test set holds.

Brain-Score's CrossValidation builds its splits over the target assembly's `stimulus_id` values in
the assembly's presentation order (Split.build_splits → extract_coord(assembly, 'stimulus_id')),
after the benchmark selects one experiment (Pereira: data.sel(experiment=...)) — so the order is the
file's row order within the experiment. The splitter is scikit-learn's
ShuffleSplit(n_splits=10, train_size=0.9, test_size=None, random_state=1).

The files are read with xarray (h5netcdf engine), as Brain-Score's loader does, so nothing of
brainmap is involved. Output: test/fixtures/reference/brainscore_splits.json with, per fixture and
experiment, the stimulus_ids of the test sets of splits 0, 1 and 9 in ShuffleSplit's order.

Run: .venv/bin/python scripts/reference/brainscore_splits.py   (numpy, scikit-learn, xarray, h5netcdf)
"""
import json
import os

import numpy as np
import sklearn
import xarray as xr
from sklearn.model_selection import ShuffleSplit

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FIXTURES = [
    ('pereira2018-language-profileB.nc', 'experiment'),
    ('blank2014-fROI-profileB.nc', None),
]


def main():
    out = {'generator': 'scripts/reference/brainscore_splits.py', 'numpy': np.__version__, 'sklearn': sklearn.__version__,
           'splitter': 'ShuffleSplit(n_splits=10, train_size=0.9, test_size=None, random_state=1) over stimulus_id in file order', 'fixtures': {}}
    for name, exp_coord in FIXTURES:
        a = xr.open_dataset(os.path.join(ROOT, 'test', 'fixtures', 'datasets', name), engine='h5netcdf')
        stim = np.array([str(s) for s in a['stimulus_id'].values])
        exps = {'': np.arange(len(stim))} if exp_coord is None else {
            str(e).replace('sentences', ''): np.flatnonzero(a[exp_coord].values == e) for e in sorted(set(a[exp_coord].values))}
        entry = {}
        for e, rows in exps.items():
            values = stim[rows]  # file order within the experiment
            splits = list(ShuffleSplit(n_splits=10, train_size=0.9, test_size=None, random_state=1).split(np.zeros(len(values))))
            entry[e] = {'n': int(len(values)), 'n_test': int(len(splits[0][1])), 'n_train': int(len(splits[0][0])),
                        'test': {str(k): [str(v) for v in values[splits[k][1]]] for k in (0, 1, 9)}}
        out['fixtures'][name] = entry
    path = os.path.join(ROOT, 'test', 'fixtures', 'reference', 'brainscore_splits.json')
    with open(path, 'w') as fh:
        json.dump(out, fh, indent=1)
        fh.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
