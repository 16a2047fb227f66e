#!/usr/bin/env python3
"""Writes the dataset fixtures under test/fixtures/datasets/ used by test/io/{pereira,blank,mat}*.test.ts
and test/cli/inspect.test.ts. Layouts follow shared/DATASETS.md (§1.3 HDF5 skeleton, §3.1/§3.7
Pereira2018, §4.1/§4.4 Blank2014, §3.6/§5 MAT files); responses are generated.

Parts (each needs different packages):

  /usr/bin/python3 scripts/make-dataset-fixtures.py nc      # numpy + h5py (Debian python3-h5py)
  python3 scripts/make-dataset-fixtures.py mat5            # numpy + scipy (scipy.io.savemat, format 5)
  /usr/bin/python3 scripts/make-dataset-fixtures.py mat73   # numpy + h5py (MATLAB v7.3 = HDF5 + 512-byte header)
  python3 scripts/make-dataset-fixtures.py checks          # numpy: pereira-mat/checks.json (values for the tests)

With no argument all parts run (numpy, h5py and scipy must then be importable).

Text inputs (read at generation time, committed inside the fixtures):
  ../shared/data/pereira2018/stimuli_{243,384}sentences.txt   sentences in Pereira's presentation
      order (= keySentences / stimulus_num order), used verbatim as the `sentence` coordinate,
      except one word made non-ASCII ("cliche" -> "cliché") as §3.7 asks;
  ../shared/data/pereira2018/sentences_ordered.txt   the analysis order (627 lines), used to give
      every sentence its category and passage (Appendix A passage sizes);
  ../shared/data/blank2014/story_data_dict.npz        per-TR text of the 8 stories.

Files written:
  pereira2018-language-profileB.nc   Pereira2018.language S3 layout (§3.1), profile B: 627
      presentations (rows interleaved by (stimulus_num, sentence) as §3.4 infers), 10 subjects x 8
      language voxels = 80 neuroids, NaN blocks for (experiment not done) x (subject's columns).
  pereira2018-allatlas-profileC.nc   the neural-nlp all-atlas variant (§3.5): no sentence/stimulus,
      `atlas` (language, MD), string filter_strategy ('' = none, plus some 'NminusS' language voxels
      that the language selection must drop), 3 subjects x (4 language + 3 MD) voxels, profile C,
      one isolated NaN (subject 018, voxel 2, 6th row of experiment 384).
  blank2014-fROI-profileB.nc         Blank2014.fROI (§4.1): 1317 TRs of 8 stories interleaved by
      (timepoint_value, meta_sentence, story), 60 fROIs (5 subjects x 12, fROI-major), profile B.
  pereira-mat/<subject>/examples_{243,384}sentences.mat   the public release layout (§3.6a):
      P01 (both, v5), M03 (243 only, MATLAB v7.3/HDF5), M08 (384 only, v5), 6 voxels each.
  pereira-mat-atlases/M02/examples_384sentences.mat  v5, `data` + meta.atlases/roiMultimask/rois
      (the §3.6b selection fields), for network selection.
  pereira-mat-bad/S01/examples_243sentences.mat  v5, keySentences one entry short (error test).
  pereira-mat/checks.json  a few values per MAT file, to check orientation exactly.

Passage labels (`passage_label` / keyPassages) are synthetic ("Astronaut 1", ...): the real titles
are not available here.
"""
import difflib
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'datasets')
SHARED = os.path.join(ROOT, '..', 'shared', 'data')

# Appendix A of shared/METHODS.md: sentences per passage 0,1,2 for each exp-243 category.
EXP243 = [
    ('astronaut', '433'), ('beekeeping', '443'), ('blindness', '433'), ('bone_fracture', '443'),
    ('castle', '433'), ('computer_graphics', '433'), ('dreams', '433'), ('gambling', '433'),
    ('hurricane', '433'), ('ice_cream', '343'), ('infection', '433'), ('law_school', '433'),
    ('lawn_mower', '433'), ('opera', '434'), ('owl', '433'), ('painter', '433'),
    ('pharmacist', '433'), ('polar_bear', '433'), ('pyramid', '433'), ('rock_climbing', '344'),
    ('skiing', '433'), ('stress', '433'), ('taste', '333'), ('tuxedo', '433'),
]
EXP384 = [
    'animal', 'appliance', 'bird', 'body_part', 'building_part', 'clothing', 'crime', 'disaster',
    'drink_non_alcoholic', 'dwelling', 'fish', 'fruit', 'furniture', 'human', 'insect', 'kitchen_utensil',
    'landscape', 'music', 'place', 'profession', 'tool', 'vegetable', 'vehicles_transport', 'weapon',
]
SUBJECTS = ['018', '199', '215', '288', '289', '296', '343', '366', '407', '426']
DID = {
    '243': {'018', '215', '288', '289', '296', '426'},
    '384': {'018', '199', '288', '289', '296', '343', '366', '407', '426'},
}
ROIS = ['LH_IFGorb', 'LH_IFG', 'LH_MFG', 'LH_AntTemp', 'LH_PostTemp', 'LH_AngG',
        'RH_IFGorb', 'RH_IFG', 'RH_MFG', 'RH_AntTemp', 'RH_PostTemp', 'RH_AngG']
VOXELS_PER_SUBJECT = 8

STORIES = ['Aqua', 'Boar', 'Elvis', 'HighSchool', 'KingOfBirds', 'MatchstickSeller', 'MrSticky', 'Tulips']
BLANK_SUBJECTS = ['061', '085', '088', '090', '098']
FROIS = ['01_LH_PostTemp', '02_LH_AntTemp', '03_LH_IFG', '04_LH_IFGorb', '05_LH_MFG', '06_LH_AngG',
         '07_RH_PostTemp', '08_RH_AntTemp', '09_RH_IFG', '10_RH_IFGorb', '11_RH_MFG', '12_RH_AngG']


def lines(path):
    with open(path, encoding='utf-8') as fh:
        return [x for x in fh.read().split('\n') if x != '']


def quantise(x):
    """Multiples of 1/64: exact in float64 and compressible (keeps the fixtures small)."""
    return np.round(x * 64) / 64


# ---------------------------------------------------------------------------------------------
# Pereira2018 presentation table

def pereira_passages():
    """(experiment, category, passageNumber, nSentences) in analysis order (Appendix A)."""
    out = []
    for cat, counts in EXP243:
        for p, c in enumerate(counts):
            out.append(('243', cat, p, int(c)))
    for cat in EXP384:
        for p in range(4):
            out.append(('384', cat, p, 4))
    return out


def norm(s):
    return re.sub(r'\s+', ' ', s).strip()


_PRES = {}


def pereira_presentations():
    if not _PRES:
        _PRES.update(_pereira_presentations())
    return _PRES


def _pereira_presentations():
    """One dict per sentence in keySentences order per experiment, with passage metadata."""
    ordered = lines(os.path.join(SHARED, 'pereira2018', 'sentences_ordered.txt'))
    assert len(ordered) == 627
    analysis = []  # (exp, category, passageNumber, sentence index in passage, text)
    k = 0
    for exp, cat, p, n in pereira_passages():
        for s in range(n):
            analysis.append((exp, cat, p, s, ordered[k]))
            k += 1
    assert k == 627
    out = {}
    for exp in ('243', '384'):
        original = lines(os.path.join(SHARED, 'pereira2018', 'stimuli_%ssentences.txt' % exp))
        pool = [a for a in analysis if a[0] == exp]
        by_text = {norm(a[4]): a for a in pool}
        rows = []
        for num, text in enumerate(original):
            a = by_text.get(norm(text))
            if a is None:  # typos fixed in sentences_ordered.txt ("bunchs" -> "bunches")
                close = difflib.get_close_matches(norm(text), list(by_text), n=1, cutoff=0.9)
                assert close, text
                a = by_text[close[0]]
            rows.append({'num': num, 'text': text, 'category': a[1], 'pnum': a[2], 'spos': a[3]})
        assert len({(r['category'], r['pnum'], r['spos']) for r in rows}) == len(rows)
        # Passages are contiguous in presentation order; passage_index counts them (1-based).
        pidx = 0
        prev = None
        first_seen = {}
        for r in rows:
            key = (r['category'], r['pnum'])
            if key != prev:
                assert key not in first_seen, 'passage %r is not contiguous' % (key,)
                pidx += 1
                first_seen[key] = pidx
                prev = key
            r['pindex'] = pidx
        # Within a category, the analysis order's passage number is the rank of passage_index for
        # every exp-243 category but not for 6 exp-384 categories (printed here; see src/io/pereira.ts).
        for cat in sorted({r['category'] for r in rows}):
            ps = sorted({(r['pindex'], r['pnum']) for r in rows if r['category'] == cat})
            if [p for _, p in ps] != list(range(len(ps))):
                print('  %s %s: passage numbers in passage_index order are %s' % (exp, cat, [p for _, p in ps]))
        for r in rows:
            r['label'] = '%s %d' % (r['category'].replace('_', ' ').title(), r['pnum'] + 1)
            if r['text'] == 'The reason he came to law school in the first place was cliche.':
                r['text'] = 'The reason he came to law school in the first place was clich\u00e9.'
        out[exp] = rows
    return out


def pereira_row_order(pres):
    """§3.4 inferred file order: rows sorted by (stimulus_num, sentence) across both experiments."""
    rows = [('243', r) for r in pres['243']] + [('384', r) for r in pres['384']]
    rows.sort(key=lambda er: (er[1]['num'], er[1]['text']))
    return rows


def pereira_units(rng, subjects, per_subject):
    units = []
    for s in subjects:
        vox = np.sort(rng.choice(np.arange(200, 30000), size=per_subject, replace=False))
        for v in vox:
            c = (int(rng.integers(10, 70)), int(rng.integers(10, 85)), int(rng.integers(5, 60)))
            units.append({'subject': s, 'voxel_num': int(v), 'roi': ROIS[int(rng.integers(0, 12))],
                          'coord': c, 'index3d': c[0] + 79 * (c[1] - 1) + 7505 * (c[2] - 1)})
    return units


def pereira_values(rng, rows, units):
    """Passage effects + sentence-position drift + noise; NaN where the subject did not do the experiment."""
    n, m = len(rows), len(units)
    y = np.empty((n, m))
    passage_effect = {}
    for i, (exp, r) in enumerate(rows):
        key = (exp, r['pindex'])
        if key not in passage_effect:
            passage_effect[key] = rng.normal(size=m)
        y[i] = passage_effect[key] + 0.3 * r['spos'] + rng.normal(scale=0.8, size=m)
    y = quantise(y)
    for j, u in enumerate(units):
        for i, (exp, _) in enumerate(rows):
            if u['subject'] not in DID[exp]:
                y[i, j] = np.nan
    return y


# ---------------------------------------------------------------------------------------------
# Blank2014

def split_sentences(text):
    """Sentence index of every character: a sentence ends after a token ending in . ? ! .' ?' !'."""
    sent = np.zeros(len(text), dtype=int)
    k = 0
    for m in re.finditer(r'\S+|\s+', text):
        sent[m.start():m.end()] = k
        tok = m.group(0)
        if not tok.isspace() and re.search(r"[.?!]'?$", tok):
            k += 1
    return sent


def blank_presentations(rng):
    d = np.load(os.path.join(SHARED, 'blank2014', 'story_data_dict.npz'))
    rows = []
    for story in STORIES:
        frags = [str(x) for x in d[story]]
        text = ''.join(frags)
        sent = split_sentences(text)
        off = 0
        t = 6 + 2 * int(rng.integers(0, 3))
        parts = {}
        for k, fr in enumerate(frags):
            last = off + len(fr.rstrip()) - 1
            s = int(sent[last])
            p = parts.get(s, 0)
            parts[s] = p + 1
            meta = ' '.join(re.sub(r"[^\w\s']", ' ', fr.lower()).split())
            rows.append({'story': story, 'text': fr, 's': s, 'p': p, 'meta': meta, 't': t, 'k': k})
            off += len(fr)
            t += 2 if rng.random() > 0.1 else 4  # occasional TR without words (dropped)
    rows.sort(key=lambda r: (r['t'], r['meta'], r['story']))
    return rows


# ---------------------------------------------------------------------------------------------
# NetCDF writing (h5py), the netCDF-C skeleton of DATASETS §1.3

def nc_part():
    import h5py

    h5py.get_config().track_order = True
    str_t = h5py.string_dtype('utf-8')
    fill_i64 = -9223372036854775806
    rng = np.random.default_rng(20240604)

    def scale(f, name, length, dimid):
        ds = f.create_dataset(name, shape=(length,), dtype='>f4')
        ds.make_scale('This is a netCDF dimension but not a netCDF variable.%10d' % length)
        ds.attrs.create('_Netcdf4Dimid', dimid, dtype='<i4')
        return ds

    def coord(f, name, values, dim, profile):
        values = np.asarray(values)
        kw = {}
        if profile == 'B':
            kw = dict(chunks=(len(values),), shuffle=True, compression='gzip', compression_opts=1)
        if values.dtype.kind in 'USO':
            ds = f.create_dataset(name, data=np.array(values, dtype=object), dtype=str_t, **kw)
        elif values.dtype.kind == 'f':  # all-missing object column (filter_strategy): no _FillValue attribute
            ds = f.create_dataset(name, data=values.astype('<f8'), dtype='<f8', fillvalue=9.969209968386869e36, **kw)
        else:
            ds = f.create_dataset(name, data=values.astype('<i8'), dtype='<i8', fillvalue=fill_i64, **kw)
        ds.dims[0].attach_scale(dim)
        return ds

    def data_var(f, y, coords, pres, neur, profile, attrs=()):
        if profile == 'B':
            d = f.create_dataset('data', data=y, dtype='<f8', chunks=y.shape, shuffle=True,
                                 compression='gzip', compression_opts=1, fillvalue=np.nan)
        else:
            d = f.create_dataset('data', data=y, dtype='<f8', chunks=y.shape, shuffle=True,
                                 compression='gzip', compression_opts=9, fillvalue=np.nan)
        d.attrs.create('_Netcdf4Coordinates', np.array([0, 1], dtype='<i4'))
        d.attrs.create('_FillValue', np.array([np.nan], dtype='<f8'))
        for k, v in attrs:
            d.attrs.create(k, np.bytes_(v))
        names = list(coords)
        rng.shuffle(names)  # the attribute's order comes from a Python set
        d.attrs.create('coordinates', np.bytes_(' '.join(names)))
        d.dims[0].attach_scale(pres)
        d.dims[1].attach_scale(neur)
        return d

    os.makedirs(OUT, exist_ok=True)

    # ---- Pereira2018.language, profile B ------------------------------------------------------
    pres = pereira_presentations()
    rows = pereira_row_order(pres)
    units = pereira_units(rng, SUBJECTS, VOXELS_PER_SUBJECT)
    y = pereira_values(rng, rows, units)
    exp_name = lambda e: '%ssentences' % e
    pcoords = {
        'stimulus_num': [r['num'] for _, r in rows],
        'sentence': [r['text'] for _, r in rows],
        'stimulus': [r['text'] for _, r in rows],
        'passage_index': [r['pindex'] for _, r in rows],
        'passage_label': [r['label'] for _, r in rows],
        'passage_category': [r['category'] for _, r in rows],
        'stimulus_id': ['%s.%d' % (exp_name(e), r['num']) for e, r in rows],
        'story': ['%s.%s' % (exp_name(e), r['category']) for e, r in rows],
        'experiment': [exp_name(e) for e, _ in rows],
    }
    ncoords = {
        'subject': [u['subject'] for u in units],
        'voxel_num': [u['voxel_num'] for u in units],
        'filter_strategy': np.full(len(units), np.nan),
        'atlas_selection': ['from90to100prcnt'] * len(units),
        'roi': [u['roi'] for u in units],
        'indices_in_3d': [u['index3d'] for u in units],
        'col_to_coord_1': [u['coord'][0] for u in units],
        'col_to_coord_2': [u['coord'][1] for u in units],
        'col_to_coord_3': [u['coord'][2] for u in units],
        'neuroid_id': ['%s.%d' % (u['subject'], u['voxel_num']) for u in units],
    }
    path = os.path.join(OUT, 'pereira2018-language-profileB.nc')
    with h5py.File(path, 'w', track_order=True, libver='earliest') as f:
        ps = scale(f, 'presentation', len(rows), 0)
        ns = scale(f, 'neuroid', len(units), 1)
        for k, v in pcoords.items():
            coord(f, k, v, ps, 'B')
        for k, v in ncoords.items():
            coord(f, k, v, ns, 'B')
        data_var(f, y, {**pcoords, **ncoords}, ps, ns, 'B')
        f.attrs.create('_NCProperties', np.bytes_('version=2,netcdf=4.7.4,hdf5=1.12.0,'))
    print(path, os.path.getsize(path), 'bytes')

    # ---- Pereira2018 all-atlas variant, profile C -----------------------------------------------
    subs = ['018', '215', '199']
    lang = pereira_units(rng, subs, 4)
    md = pereira_units(rng, subs, 3)
    cols = [dict(u, atlas='language', filt='') for u in lang] + [dict(u, atlas='MD', filt='HminusE') for u in md]
    cols[1]['filt'] = 'NminusS'  # a language voxel of another filter: not part of the language selection
    cols.sort(key=lambda u: (u['subject'], u['voxel_num'], u['atlas']))
    y2 = pereira_values(rng, rows, cols)
    j = [c for c, u in enumerate(cols) if u['subject'] == '018' and u['atlas'] == 'language' and u['filt'] == ''][1]
    i = [k for k, (e, r) in enumerate(rows) if e == '384' and r['num'] == 5][0]
    y2[i, j] = np.nan  # isolated NaN (not in the experiment's first row): dropna must catch it
    pc2 = {k: pcoords[k] for k in ['stimulus_num', 'passage_index', 'passage_label', 'passage_category', 'stimulus_id', 'story', 'experiment']}
    nc2 = {
        'subject': [u['subject'] for u in cols],
        'voxel_num': [u['voxel_num'] for u in cols],
        'atlas': [u['atlas'] for u in cols],
        'filter_strategy': [u['filt'] for u in cols],
        'atlas_selection': ['from90to100prcnt'] * len(cols),
        'roi': [u['roi'] for u in cols],
        'indices_in_3d': [u['index3d'] for u in cols],
        'col_to_coord_1': [u['coord'][0] for u in cols],
        'col_to_coord_2': [u['coord'][1] for u in cols],
        'col_to_coord_3': [u['coord'][2] for u in cols],
        'neuroid_id': ['%s.%d' % (u['subject'], u['voxel_num']) for u in cols],
    }
    attrs = [('version', 'base'), ('class_module', 'brainio_base.assemblies'), ('class_name', 'NeuroidAssembly'), ('stimulus_set_name', 'Pereira2018')]
    path = os.path.join(OUT, 'pereira2018-allatlas-profileC.nc')
    with h5py.File(path, 'w', track_order=True, libver='earliest') as f:
        for k, v in attrs:
            f.attrs.create(k, np.bytes_(v))
        ps = scale(f, 'presentation', len(rows), 0)
        ns = scale(f, 'neuroid', len(cols), 1)
        for k, v in pc2.items():
            coord(f, k, v, ps, 'C')
        for k, v in nc2.items():
            coord(f, k, v, ns, 'C')
        data_var(f, y2, {**pc2, **nc2}, ps, ns, 'C', attrs)
        f.attrs.create('_NCProperties', np.bytes_('version=2,netcdf=4.6.3,hdf5=1.10.2'))
    print(path, os.path.getsize(path), 'bytes')

    # ---- Blank2014.fROI, profile B ---------------------------------------------------------------
    brows = blank_presentations(rng)
    bcols = [(f_, s) for f_ in FROIS for s in BLANK_SUBJECTS]  # fROI-major
    story_effect = {s: rng.normal(size=len(bcols)) for s in STORIES}
    yb = np.array([story_effect[r['story']] + 0.01 * r['k'] + rng.normal(scale=0.7, size=len(bcols)) for r in brows])
    yb = quantise(yb)
    bp = {
        'timepoint_value': [r['t'] for r in brows],
        'stimulus_sentence': [r['text'] for r in brows],
        'story': [r['story'] for r in brows],
        'stimulus_id': ['%s.%d.%d' % (r['story'], r['s'], r['p']) for r in brows],
        'meta_sentence': [r['meta'] for r in brows],
        'sentence_number_in_story': [r['s'] for r in brows],
        'part_number_in_sentence': [r['p'] for r in brows],
        'stimulus': [r['text'] for r in brows],
    }
    bn = {
        'fROI_area': [c[0] for c in bcols],
        'subject_id': [c[1] for c in bcols],
        'neuroid_id': ['%s.%s' % (c[1], c[0]) for c in bcols],
    }
    path = os.path.join(OUT, 'blank2014-fROI-profileB.nc')
    with h5py.File(path, 'w', track_order=True, libver='earliest') as f:
        ps = scale(f, 'presentation', len(brows), 0)
        ns = scale(f, 'neuroid', len(bcols), 1)
        for k, v in bp.items():
            coord(f, k, v, ps, 'B')
        for k, v in bn.items():
            coord(f, k, v, ns, 'B')
        data_var(f, yb, {**bp, **bn}, ps, ns, 'B')
        f.attrs.create('_NCProperties', np.bytes_('version=2,netcdf=4.7.4,hdf5=1.12.0,'))
    print(path, os.path.getsize(path), 'bytes')
    print('nc fixtures written with h5py', h5py.__version__, 'numpy', np.__version__)


# ---------------------------------------------------------------------------------------------
# MAT files (§3.6a public release layout)

MAT_SUBJECTS = [('P01', ['243', '384'], 'v5'), ('M03', ['243'], 'v73'), ('M08', ['384'], 'v5')]
MAT_VOXELS = 6


def mat_content(exp, subject_seed):
    """The variables of examples_{exp}sentences.mat for one subject (MATLAB shapes); the voxels
    (coordinates, ROIs) depend on the subject only, the responses on subject and experiment."""
    vox_rng = np.random.default_rng(subject_seed)
    rng = np.random.default_rng(subject_seed * 1000 + int(exp))
    # scipy writes non-ASCII text as miUTF8, which mat-for-js 1.1.0 cannot decode: ASCII in all MAT files.
    pres = [dict(r, text=r['text'].replace('\u00e9', 'e')) for r in pereira_presentations()[exp]]
    n = len(pres)
    passages = []  # (pindex, label, category) in passage_index order
    for r in pres:
        if not passages or passages[-1][0] != r['pindex']:
            passages.append((r['pindex'], r['label'], r['category']))
    cats = sorted({p[2] for p in passages}, key=lambda c: (hash_cat(c), c))  # categories in a non-alphabetical order
    cat_index = {c: k + 1 for k, c in enumerate(cats)}
    effects = {p[0]: rng.normal(size=MAT_VOXELS) for p in passages}
    examples = quantise(np.array([effects[r['pindex']] + 0.3 * r['spos'] + rng.normal(scale=0.8, size=MAT_VOXELS) for r in pres]))
    coords = np.array([[int(vox_rng.integers(10, 70)), int(vox_rng.integers(10, 85)), int(vox_rng.integers(5, 60))] for _ in range(MAT_VOXELS)], dtype=np.int32)
    aal = np.array([[float(vox_rng.integers(0, 5))] for _ in range(MAT_VOXELS)])
    return {
        'examples': examples,
        'keySentences': [r['text'] for r in pres],
        'labelsSentences': np.arange(1, n + 1, dtype=np.int32).reshape(n, 1),
        'labelsPassageForEachSentence': np.array([[r['pindex']] for r in pres], dtype=np.int32),
        'keyPassages': [p[1] for p in passages],
        'labelsPassageCategory': np.array([[cat_index[p[2]]] for p in passages], dtype=np.int32),
        'keyPassageCategory': cats,
        'meta': {
            'dimx': 79.0, 'dimy': 95.0, 'dimz': 68.0,
            'indicesIn3D': np.array([[c[0] + 79 * (c[1] - 1) + 7505 * (c[2] - 1)] for c in coords], dtype=np.int32),
            'colToCoord': coords,
            'roiMultimaskAAL': aal,
        },
    }


def hash_cat(c):
    return sum(ord(ch) * (k + 1) for k, ch in enumerate(c)) % 97


def mat5_part():
    import scipy.io as sio

    def cell_col(strings):
        a = np.empty((len(strings), 1), dtype=object)
        for k, s in enumerate(strings):
            a[k, 0] = s
        return a

    def cell_row(strings):
        a = np.empty((1, len(strings)), dtype=object)
        for k, s in enumerate(strings):
            a[0, k] = s
        return a

    seed = 1
    for subject, exps, fmt in MAT_SUBJECTS:
        seed += 1
        if fmt != 'v5':
            continue
        for exp in exps:
            c = mat_content(exp, seed)
            keys = c['keySentences']
            out = dict(c, keySentences=cell_col(keys), keyPassages=cell_col(c['keyPassages']), keyPassageCategory=cell_row(c['keyPassageCategory']))
            d = os.path.join(OUT, 'pereira-mat', subject)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, 'examples_%ssentences.mat' % exp)
            sio.savemat(path, out, format='5', do_compression=True)
            print(path, os.path.getsize(path), 'bytes')

    # A misaligned file: keySentences one short of the rows of examples.
    c = mat_content('243', 99)
    out = dict(c, keySentences=cell_col(c['keySentences'][:-1]), keyPassages=cell_col(c['keyPassages']), keyPassageCategory=cell_row(c['keyPassageCategory']))
    d = os.path.join(OUT, 'pereira-mat-bad', 'S01')
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, 'examples_243sentences.mat')
    sio.savemat(path, out, format='5', do_compression=True)
    print(path, os.path.getsize(path), 'bytes')

    # Blank-style selection fields (§3.6b) inside the public-release layout: 6 voxels, 2 selections.
    c = mat_content('384', 77)
    keys = c['keySentences']
    meta = dict(c['meta'])
    meta['atlases'] = cell_col(['language_from90to100prcnt', 'MD_HminusE_from90to100prcnt'])
    lang = np.array([[1.0], [2.0], [np.nan], [1.0], [np.nan], [np.nan]])
    mdm = np.array([[np.nan], [np.nan], [1.0], [1.0], [1.0], [np.nan]])
    rm = np.empty((2, 1), dtype=object)
    rm[0, 0] = lang
    rm[1, 0] = mdm
    meta['roiMultimask'] = rm
    rois = np.empty((2, 1), dtype=object)
    rois[0, 0] = cell_col(['LH_IFG', 'LH_AntTemp'])
    rois[1, 0] = cell_col(['MD_all'])
    meta['rois'] = rois
    out = {k: v for k, v in c.items() if k != 'examples'}
    out.update(data=c['examples'], keySentences=cell_col(keys), keyPassages=cell_col(c['keyPassages']),
               keyPassageCategory=cell_row(c['keyPassageCategory']), meta=meta)
    d = os.path.join(OUT, 'pereira-mat-atlases', 'M02')
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, 'examples_384sentences.mat')
    sio.savemat(path, out, format='5', do_compression=True)
    print(path, os.path.getsize(path), 'bytes')


def mat73_part():
    """MATLAB v7.3: HDF5 with a 512-byte user block, arrays stored transposed, MATLAB_class attributes,
    cell arrays as object references into /#refs#, char as uint16."""
    import h5py

    seed = 1
    for subject, exps, fmt in MAT_SUBJECTS:
        seed += 1
        if fmt != 'v73':
            continue
        for exp in exps:
            c = mat_content(exp, seed)
            d = os.path.join(OUT, 'pereira-mat', subject)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, 'examples_%ssentences.mat' % exp)
            with h5py.File(path, 'w', userblock_size=512, libver='latest') as f:
                refs = f.create_group('#refs#')
                counter = [0]

                def put(parent, name, value):
                    if isinstance(value, dict):
                        g = parent.create_group(name)
                        g.attrs['MATLAB_class'] = np.bytes_('struct')
                        for k, v in value.items():
                            put(g, k, v)
                        return g
                    if isinstance(value, str):
                        codes = np.array([[ord(ch)] for ch in value], dtype=np.uint16)  # stored transposed: (len, 1)
                        ds = parent.create_dataset(name, data=codes)  # MATLAB 1 x k -> HDF5 shape (k, 1)
                        ds.attrs['MATLAB_class'] = np.bytes_('char')
                        return ds
                    if isinstance(value, tuple) and value[0] == 'cell':
                        items, shape = value[1], value[2]
                        ref_arr = np.empty(shape[::-1], dtype=h5py.ref_dtype)
                        flat = ref_arr.reshape(-1)
                        for k, item in enumerate(items):
                            counter[0] += 1
                            ds = put(refs, 'r%d' % counter[0], item)
                            flat[k] = ds.ref
                        ds = parent.create_dataset(name, data=ref_arr, dtype=h5py.ref_dtype)
                        ds.attrs['MATLAB_class'] = np.bytes_('cell')
                        return ds
                    arr = np.asarray(value)
                    if arr.ndim == 0:
                        arr = arr.reshape(1, 1)
                    cls = {'f': 'double', 'i': 'int32'}[arr.dtype.kind]
                    ds = parent.create_dataset(name, data=np.ascontiguousarray(arr.T))
                    ds.attrs['MATLAB_class'] = np.bytes_(cls)
                    return ds

                n = len(c['keySentences'])
                put(f, 'examples', c['examples'])
                put(f, 'keySentences', ('cell', c['keySentences'], (n, 1)))
                put(f, 'labelsSentences', c['labelsSentences'])
                put(f, 'labelsPassageForEachSentence', c['labelsPassageForEachSentence'])
                put(f, 'keyPassages', ('cell', c['keyPassages'], (len(c['keyPassages']), 1)))
                put(f, 'labelsPassageCategory', c['labelsPassageCategory'])
                put(f, 'keyPassageCategory', ('cell', c['keyPassageCategory'], (1, len(c['keyPassageCategory']))))
                put(f, 'meta', c['meta'])
            header = ('MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018 HDF5 schema 1.00 .').ljust(116).encode('ascii')
            with open(path, 'r+b') as fh:
                fh.write(header + b'\x00' * 8 + b'\x00\x02' + b'IM')
            print(path, os.path.getsize(path), 'bytes')


def mat_checks():
    """pereira-mat/checks.json: a few values per file, so tests can check orientation exactly."""
    import json
    seed = 1
    out = {}
    for subject, exps, fmt in MAT_SUBJECTS:
        seed += 1
        for exp in exps:
            c = mat_content(exp, seed)
            e = c['examples']
            out['%s/%s' % (subject, exp)] = {
                'shape': list(e.shape), 'first_row': e[0, :3].tolist(), 'last_row': e[-1, -3:].tolist(),
                'col_to_coord_0': c['meta']['colToCoord'][0].tolist(), 'col_to_coord_last': c['meta']['colToCoord'][-1].tolist(),
            }
    path = os.path.join(OUT, 'pereira-mat', 'checks.json')
    with open(path, 'w') as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write('\n')
    print(path)


def main():
    parts = sys.argv[1:] or ['nc', 'mat5', 'mat73', 'checks']
    for p in parts:
        {'nc': nc_part, 'mat5': mat5_part, 'mat73': mat73_part, 'checks': mat_checks}[p]()


if __name__ == '__main__':
    main()
