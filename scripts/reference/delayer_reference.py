"""Reference for brainmap's `delays=` feature modifier (src/features/delays.ts).

A numpy re-implementation of the `Delayer` used with himalaya (voxelwise_tutorials.delayer.Delayer,
the transformer himalaya's tutorials put before KernelRidgeCV), applied to each block (story/run)
separately and stacked, as brainmap does. Writes test/fixtures/reference/delayer.json.

Run: .venv/bin/python scripts/reference/delayer_reference.py
"""
import json
import os

import numpy as np


def delayer_transform(X, delays):
    """voxelwise_tutorials Delayer.transform: columns of delay d1, then d2, ...; zero-filled."""
    n_samples, n_features = X.shape
    X_delayed = np.zeros((n_samples, n_features * len(delays)), dtype=X.dtype)
    for idx, delay in enumerate(delays):
        beg, end = idx * n_features, (idx + 1) * n_features
        if delay == 0:
            X_delayed[:, beg:end] = X
        elif delay > 0:
            X_delayed[delay:, beg:end] = X[:-delay]
        else:
            X_delayed[:-abs(delay), beg:end] = X[abs(delay):]
    return X_delayed


def per_block(X, blocks, delays):
    out = []
    start = 0
    while start < len(blocks):
        end = start
        while end < len(blocks) and blocks[end] == blocks[start]:
            end += 1
        out.append(delayer_transform(X[start:end], delays))
        start = end
    return np.vstack(out)


def main():
    rng = np.random.default_rng(17)
    sizes = [5, 1, 7, 3]
    blocks = [f"b{i}" for i, s in enumerate(sizes) for _ in range(s)]
    X = np.round(rng.standard_normal((len(blocks), 3)), 6)
    cases = []
    for delays in ([1, 2, 3, 4], [0, 1, 2], [2, 0, 6], [3]):
        cases.append({"delays": delays, "expected": per_block(X, blocks, delays).tolist()})
    out = {"x": X.tolist(), "blocks": blocks, "cases": cases}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "test", "fixtures", "reference", "delayer.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
