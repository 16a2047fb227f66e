#!/usr/bin/env python3
"""
Reference for src/io/nifti.ts: nibabel writes the same small float32 volume with the same affine,
sform code 2 and description; its header fields (as nibabel reads them back) and voxels go to
test/fixtures/io/nifti-reference.json, which the TypeScript test compares with its own file read at
the NIfTI-1 spec's byte offsets.

usage: .venv/bin/python scripts/make-nifti-fixtures.py
"""
import json
import os

import nibabel as nib
import numpy as np

root = os.path.join(os.path.dirname(__file__), '..')
affine = np.array([[-2.0, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]])
dims = (3, 4, 2, 2)
data = np.full(dims, np.nan, dtype=np.float32)
data[0, 0, 0, 0] = 0.25
data[2, 1, 1, 0] = -0.125
data[1, 3, 0, 1] = 0.5
img = nib.Nifti1Image(data, affine)
img.set_sform(affine, code=2)
img.set_qform(None, code=0)
img.header['descrip'] = b'brainmap r2 per subject'
img.header['xyzt_units'] = 2 | 8
path = '/tmp/brainmap-nifti-reference.nii'
nib.save(img, path)
back = nib.load(path)
# The header as stored in the file (an image's in-memory header copy resets vox_offset).
with open(path, 'rb') as fh:
    h = nib.Nifti1Header.from_fileobj(fh)
raw = open(path, 'rb').read()
ref = {
    'sizeof_hdr': int(h['sizeof_hdr']),
    'dim': [int(x) for x in h['dim']],
    'datatype': int(h['datatype']),
    'bitpix': int(h['bitpix']),
    'pixdim': [float(x) for x in h['pixdim']],
    'vox_offset': float(h['vox_offset']),
    'xyzt_units': int(h['xyzt_units']),
    'qform_code': int(h['qform_code']),
    'sform_code': int(h['sform_code']),
    'srow_x': [float(x) for x in h['srow_x']],
    'srow_y': [float(x) for x in h['srow_y']],
    'srow_z': [float(x) for x in h['srow_z']],
    'magic': h['magic'].item().decode(),
    'descrip': h['descrip'].item().decode(),
    'affine': back.affine.tolist(),
    'file_bytes': len(raw),
    # Voxels in file order (x fastest), NaN as null.
    'voxels': [None if np.isnan(v) else float(v) for v in np.asarray(back.dataobj).ravel(order='F')],
}
out = os.path.join(root, 'test', 'fixtures', 'io', 'nifti-reference.json')
with open(out, 'w') as f:
    json.dump(ref, f, indent=1)
    f.write('\n')
print('wrote', out, ref['dim'], ref['pixdim'], ref['file_bytes'])
