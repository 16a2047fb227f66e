import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benjaminiHochberg, logGamma, normalCdf, normalSf, pairedTTest, regularizedBeta, studentTCdf, studentTSf, wilcoxonSignedRank } from '../../src/scoring/stats.js';

const near = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
/** |a − b| ≤ rel·|b| (for p-values far below 1e-16, where an absolute tolerance says nothing). */
const close = (a: number, b: number, rel: number, what = '') => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what} ${a} vs ${b}`);

// Reference values: scripts/reference/scoring_reference.py (scipy 1.17.1).

test('log Γ and the regularised incomplete beta against closed forms', () => {
  near(logGamma(5), Math.log(24), 1e-13);
  near(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
  // I_x(1, b) = 1 − (1 − x)^b ; I_x(a, 1) = x^a ; I_{1/2}(a, a) = 1/2.
  near(regularizedBeta(0.3, 1, 4), 1 - 0.7 ** 4, 1e-14);
  near(regularizedBeta(0.3, 2.5, 1), 0.3 ** 2.5, 1e-14);
  near(regularizedBeta(0.5, 7.5, 7.5), 0.5, 1e-14);
});

test('Student t CDF: closed forms (ν = 1 Cauchy, ν = 2) and scipy values', () => {
  near(studentTCdf(1.3, 1), 0.5 + Math.atan(1.3) / Math.PI, 1e-13, 'Cauchy');
  near(studentTCdf(-0.7, 2), 0.5 * (1 + -0.7 / Math.sqrt(2 + 0.49)), 1e-13, 'ν=2');
  // scipy.stats.t.cdf(-2.1, 7), t.cdf(0.5, 3), t.cdf(-10, 30)
  near(studentTCdf(-2.1, 7), 0.036935598106461326, 1e-12);
  near(studentTCdf(0.5, 3), 0.6742760175759245, 1e-12);
  near(studentTCdf(-10, 30), 2.287625704114809e-11, 1e-20);
});

test('paired t-test = scipy ttest_rel; NaN pairs are omitted', () => {
  const a = [1.2, 3.4, 2.2, 5.1, 0.3, 2.2, NaN];
  const b = [1.0, 3.9, 1.1, 4.0, 0.2, 2.5, 7];
  const less = pairedTTest(a, b, 'less');
  near(less.t, 1.017034582227151, 1e-12);
  near(less.p, 0.8221016084201083, 1e-12);
  assert.equal(less.df, 5);
  near(pairedTTest(a, b).p, 0.35579678315978347, 1e-12);
  assert.ok(Number.isNaN(pairedTTest([1, 2], [1, 2], 'less').p), 'all differences 0 → NaN (the caller sets 1)');
});

test('Benjamini–Hochberg on a worked example', () => {
  // Sorted p: .005 .01 .03 .04 .04 .2 .5 (m = 7) → p·m/rank: .035 .035 .07 .07 .056 .2333 .5;
  // running minimum from the top: .035 .035 .056 .056 .056 .2333 .5.
  const adj = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.04]);
  const want = [0.035, 0.056, 0.056, 0.035, 0.5, 0.7 / 3, 0.056];
  adj.forEach((v, i) => near(v, want[i], 1e-15, `p[${i}]`));
  assert.ok(Number.isNaN(benjaminiHochberg([NaN, 0.01])[0]));
  near(benjaminiHochberg([NaN, 0.01])[1], 0.01, 0);
});

test('Wilcoxon signed-rank: exact n = 10 all positive gives p = 1/1024; scipy values; normal approximation with ties', () => {
  const x = Array.from({ length: 10 }, (_, i) => (i + 1) / 10);
  const r = wilcoxonSignedRank(x, new Array(10).fill(0), 'greater');
  assert.equal(r.p, 1 / 1024);
  assert.equal(r.statistic, 55);
  assert.equal(r.method, 'exact');
  const d = [0.5, -0.2, 0.9, 1.4, -0.6, 0.3, 0.8, 1.1];
  const zeros = new Array(8).fill(0);
  assert.equal(wilcoxonSignedRank(d, zeros, 'greater').p, 0.0390625); // scipy
  assert.equal(wilcoxonSignedRank(d, zeros).p, 0.078125); // scipy two-sided
});

test("Wilcoxon with ties and zeros = scipy's method 'auto': exact permutation test for n ≤ 13, normal approximation with tie correction above", () => {
  // scipy.stats.wilcoxon(d, alternative=…): (statistic for one-sided tests, p for greater, less, two-sided).
  const cases: Array<[string, number[], number, number, number, number, 'exact' | 'approx']> = [
    ['tied', [0.5, -0.5, 0.9, 1.4, -0.6, 0.3, 0.8, 1.1], 29.5, 0.05859375, 0.94921875, 0.1171875, 'exact'],
    ['zeros', [0, 0.5, -0.2, 0.9, 1.4, -0.6, 0.3, 0], 16, 0.15625, 0.890625, 0.3125, 'exact'],
    ['ties+zeros, n = 13', [0, 1, -1, 2, 2, 3, -4, 5, 5, 6, 7, -8, 9], 59.5, 0.057861328125, 0.948486328125, 0.11572265625, 'exact'],
    ['ties+zeros, n = 14', [0, 1, -1, 2, 2, 3, -4, 5, 5, 6, 7, -8, 9, 10], 72.5, 0.029469838852002668, 0.9705301611479973, 0.058939677704005336, 'approx'],
    ['all zero', [0, 0, 0], 0, 1, 1, 1, 'exact'],
  ];
  for (const [name, d, stat, greater, less, two, method] of cases) {
    const zeros = new Array(d.length).fill(0);
    const g = wilcoxonSignedRank(d, zeros, 'greater');
    assert.equal(g.statistic, stat, `${name}: statistic`);
    assert.equal(g.method, method, `${name}: method`);
    close(g.p, greater, 1e-13, `${name}: greater`);
    close(wilcoxonSignedRank(d, zeros, 'less').p, less, 1e-13, `${name}: less`);
    close(wilcoxonSignedRank(d, zeros).p, two, 1e-13, `${name}: two-sided`);
  }
});

test('upper tails are survival functions, precise far below 1e-16 (scipy sf), not 1 − cdf', () => {
  // Normal: scipy.stats.norm.sf / norm.cdf.
  close(normalSf(8), 6.22096057427174e-16, 1e-12, 'norm.sf(8)');
  close(normalSf(16), 6.388754400537906e-58, 1e-12, 'norm.sf(16)'); // scipy is itself ~3e-14 off here (mpmath: 6.38875440053808728e-58)
  close(normalSf(-3), 0.9986501019683699, 1e-15, 'norm.sf(-3)');
  close(normalCdf(-20), 2.7536241186061556e-89, 1e-12, 'norm.cdf(-20)');
  close(normalCdf(1.2), 0.8849303297782918, 1e-15, 'norm.cdf(1.2)');
  // Student t: scipy.stats.t.sf.
  close(studentTSf(30, 20), 2.0976126619998272e-18, 1e-12, 't.sf(30, 20)');
  close(studentTSf(8, 1000), 1.7133307411957489e-15, 1e-12, 't.sf(8, 1000)');
  close(studentTSf(-2.5, 3), 0.9561466764959672, 1e-15, 't.sf(-2.5, 3)');
  close(studentTSf(0.7, 9), 0.2508095196080725, 1e-14, 't.sf(0.7, 9)');
  // Paired t-test with a tiny p: a − b = 1 + 0.05·sin(i), b = cos(i), i = 0…11 (scipy ttest_rel).
  const b = Array.from({ length: 12 }, (_, i) => Math.cos(i));
  const a = b.map((v, i) => v + 1 + 0.05 * Math.sin(i));
  const greater = pairedTTest(a, b, 'greater');
  close(greater.t, 94.06848535344935, 1e-12, 't');
  close(greater.p, 1.2229023280405693e-17, 1e-10, "ttest_rel(a, b, alternative='greater')");
  close(pairedTTest(a, b).p, 2.4458046560811386e-17, 1e-10, 'ttest_rel(a, b) two-sided');
  close(pairedTTest(b, a, 'less').p, 1.2229023280405693e-17, 1e-10, "ttest_rel(b, a, alternative='less')");
  // Wilcoxon, normal approximation (n = 200 > 50): d_i = (i + 1)·(1 if i % 9 else −1) (scipy wilcoxon).
  const d = Array.from({ length: 200 }, (_, i) => (i + 1) * (i % 9 ? 1 : -1));
  const zeros = new Array(200).fill(0);
  const w = wilcoxonSignedRank(d, zeros, 'greater');
  assert.equal(w.method, 'approx');
  close(w.p, 1.5948747616497091e-21, 1e-10, "wilcoxon(d, alternative='greater')");
  close(wilcoxonSignedRank(d, zeros).p, 3.1897495232994182e-21, 1e-10, 'wilcoxon(d) two-sided');
  close(wilcoxonSignedRank(d.map((v) => -v), zeros, 'less').p, 1.5948747616497091e-21, 1e-10, "wilcoxon(−d, alternative='less')");
});
