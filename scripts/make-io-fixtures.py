#!/usr/bin/env python3
"""Writes the small reference fixtures under test/fixtures/io/ used by test/io/*.test.ts.

Two parts, each needing different packages:

  python3 scripts/make-io-fixtures.py npy          # numpy only (written with numpy 2.4)
  /usr/bin/python3 scripts/make-io-fixtures.py nc  # numpy + h5py (Debian: apt-get install -y python3-h5py python3-numpy)

With no argument both parts run (h5py must then be importable).

npy part: .npy files in several dtypes / byte orders / memory orders / format versions, and two
.npz archives (stored and deflated), all written by numpy itself as an independent reference
for src/io/npy.ts.

nc part: Brain-Score-style Fedorenko2016 assemblies (shared/DATASETS.md §1.3, §2.5):
  fedorenko-s3-profileB.nc       S3 layout, writer profile B (every variable chunked + shuffle +
                                 deflate 1; no custom attributes; `stimulus` and `word`)
  fedorenko-profileA-transposed.nc  profile A variant: data variable
                                 `__xarray_dataarray_variable__`, contiguous, stored
                                 (neuroid, presentation), rows permuted, only `word`,
                                 stimulus_set_name on the data variable
Both hold 3 sentences × 8 words = 24 presentations and 7 electrodes (subjects 1,1,1,2,2,3,3),
data[r, c] = r + c / 100 - 5 (r = sentence-major row, c = electrode).
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'io')

SENTENCES = [
    'ALEX WAS TIRED SO HE TOOK A NAP',
    'ALEX WORE A WOOL SWEATER TO KEEP WARM',
    "ANN BAKED A CAKE FOR HER MOM'S BIRTHDAY",
]
N_ELECTRODES = 7
SUBJECTS = [1, 1, 1, 2, 2, 3, 3]


def npy_part():
    from numpy.lib import format as npformat

    a23 = np.array([[1.5, -2.0, 3.0], [4.0, 5.25, -0.006]], dtype='<f8')
    np.save(os.path.join(OUT, 'f8_c.npy'), a23)
    np.save(os.path.join(OUT, 'f4_c.npy'), a23.astype('<f4'))
    np.save(os.path.join(OUT, 'f8_fortran.npy'), np.asfortranarray(a23))
    np.save(os.path.join(OUT, 'f4_be_fortran.npy'), np.asfortranarray(a23.astype('>f4')))
    np.save(os.path.join(OUT, 'f8_be.npy'), a23.astype('>f8'))
    np.save(os.path.join(OUT, 'i4_1d.npy'), np.array([1, -2, 3, 2147483647], dtype='<i4'))
    np.save(os.path.join(OUT, 'i8_be_1d.npy'), np.array([1, -2, 3, 2**40], dtype='>i8'))
    np.save(os.path.join(OUT, 'u1_1d.npy'), np.array([0, 7, 255], dtype='u1'))
    np.save(os.path.join(OUT, 'b1_1d.npy'), np.array([True, False, True]))
    np.save(os.path.join(OUT, 'unicode_1d.npy'), np.array(['a', 'Zoë', 'If you were ']))
    np.save(os.path.join(OUT, 'f8_3d_fortran.npy'), np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4)))
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(OUT, 'f8_v%d.npy' % version[0]), 'wb') as fh:
            npformat.write_array(fh, a23, version=version)
    np.savez(os.path.join(OUT, 'arrays.npz'), y=a23, ids=np.array([3, 1, 2], dtype='<i8'))
    np.savez_compressed(os.path.join(OUT, 'arrays_compressed.npz'), y=a23.astype('<f4'), ids=np.array([3, 1, 2], dtype='<i8'))
    print('npy fixtures written with numpy', np.__version__)


def fedorenko_tables():
    words, word_num, sentence_id = [], [], []
    for s, text in enumerate(SENTENCES):
        for k, w in enumerate(text.split(' ')):
            words.append(w)
            word_num.append(k)
            sentence_id.append(s)
    n = len(words)
    data = np.array([[r + c / 100.0 - 5 for c in range(N_ELECTRODES)] for r in range(n)], dtype='<f8')
    return words, np.array(word_num, dtype='<i8'), np.array(sentence_id, dtype='<i8'), data


def nc_part():
    import h5py

    h5py.get_config().track_order = True  # attribute creation order, as netCDF-C tracks it
    str_t = h5py.string_dtype('utf-8')
    fill_i64 = -9223372036854775806

    def scale(f, name, length, dimid):
        ds = f.create_dataset(name, shape=(length,), dtype='>f4')  # never written (storage 0)
        ds.make_scale('This is a netCDF dimension but not a netCDF variable.%10d' % length)
        ds.attrs.create('_Netcdf4Dimid', dimid, dtype='<i4')
        return ds

    def coord(f, name, values, dim, compressed):
        values = np.asarray(values)
        kw = {}
        if compressed:
            kw = dict(chunks=(len(values),), shuffle=True, compression='gzip', compression_opts=1)
        if values.dtype.kind in 'US':
            ds = f.create_dataset(name, data=np.array(values, dtype=object), dtype=str_t, **kw)
        else:
            ds = f.create_dataset(name, data=values.astype('<i8'), dtype='<i8', fillvalue=fill_i64, **kw)
        ds.dims[0].attach_scale(dim)
        return ds

    words, word_num, sentence_id, data = fedorenko_tables()
    n = len(words)
    electrodes = np.arange(N_ELECTRODES, dtype='<i8')

    # ---- profile B, S3 layout -------------------------------------------------------------
    path = os.path.join(OUT, 'fedorenko-s3-profileB.nc')
    with h5py.File(path, 'w', track_order=True, libver='earliest') as f:
        pres = scale(f, 'presentation', n, 0)
        neur = scale(f, 'neuroid', N_ELECTRODES, 1)
        coord(f, 'stimulus_id', np.arange(n), pres, True)
        coord(f, 'stimulus', np.array(words), pres, True)
        coord(f, 'word', np.array(words), pres, True)
        coord(f, 'word_num', word_num, pres, True)
        coord(f, 'sentence_id', sentence_id, pres, True)
        coord(f, 'electrode', electrodes, neur, True)
        coord(f, 'neuroid_id', electrodes, neur, True)
        coord(f, 'subject_UID', np.array(SUBJECTS), neur, True)
        d = f.create_dataset('data', data=data, dtype='<f8', chunks=data.shape, shuffle=True,
                             compression='gzip', compression_opts=1, fillvalue=np.nan)
        d.attrs.create('_Netcdf4Coordinates', np.array([0, 1], dtype='<i4'))
        d.attrs.create('_FillValue', np.array([np.nan], dtype='<f8'))
        d.attrs.create('coordinates', np.bytes_('subject_UID stimulus_id electrode word_num sentence_id neuroid_id word stimulus'))
        d.dims[0].attach_scale(pres)
        d.dims[1].attach_scale(neur)
        f.attrs.create('_NCProperties', np.bytes_('version=2,netcdf=4.7.4,hdf5=1.12.0,'))

    # ---- profile A, transposed and permuted --------------------------------------------------
    # Row permutation: sentences in reverse order, words 0..7 of each as 3,0,7,1,6,2,5,4.
    perm = [s * 8 + k for s in (2, 0, 1) for k in (3, 0, 7, 1, 6, 2, 5, 4)]
    path = os.path.join(OUT, 'fedorenko-profileA-transposed.nc')
    with h5py.File(path, 'w', track_order=True, libver='earliest') as f:
        neur = scale(f, 'neuroid', N_ELECTRODES, 0)
        pres = scale(f, 'presentation', n, 1)
        coord(f, 'stimulus_id', np.arange(n)[perm], pres, False)
        coord(f, 'word', np.array(words)[perm], pres, False)
        coord(f, 'word_num', word_num[perm], pres, False)
        coord(f, 'sentence_id', sentence_id[perm], pres, False)
        coord(f, 'electrode', electrodes, neur, False)
        coord(f, 'neuroid_id', electrodes, neur, False)
        coord(f, 'subject_UID', np.array(SUBJECTS), neur, False)
        d = f.create_dataset('__xarray_dataarray_variable__', data=np.ascontiguousarray(data[perm].T), dtype='<f8')
        d.attrs.create('_Netcdf4Coordinates', np.array([0, 1], dtype='<i4'))
        d.attrs.create('_FillValue', np.array([np.nan], dtype='<f8'))
        d.attrs.create('class_module', np.bytes_('brainio_base.assemblies'))
        d.attrs.create('class_name', np.bytes_('NeuroidAssembly'))
        d.attrs.create('stimulus_set_name', np.bytes_('Fedorenko2016.ecog'))
        d.attrs.create('coordinates', np.bytes_('word_num electrode stimulus_id sentence_id subject_UID neuroid_id word'))
        d.dims[0].attach_scale(neur)
        d.dims[1].attach_scale(pres)
        f.attrs.create('_NCProperties', np.bytes_('version=1|netcdflibversion=4.4.1.1|hdf5libversion=1.10.2'))
    print('nc fixtures written with h5py', h5py.__version__, 'numpy', np.__version__)


def main():
    os.makedirs(OUT, exist_ok=True)
    parts = sys.argv[1:] or ['npy', 'nc']
    for p in parts:
        {'npy': npy_part, 'nc': nc_part}[p]()


if __name__ == '__main__':
    main()
