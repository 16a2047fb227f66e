"""Reference values for test/scoring/*.test.ts (Pearson r, R², p-values, Wilcoxon), from scipy and
scikit-learn. Run: .venv/bin/python scripts/reference/scoring_reference.py — it prints each value
with the call that made it; the tests hold the numbers with a comment naming the call."""
import numpy as np
import scipy
import scipy.stats as st
import sklearn
from sklearn.metrics import r2_score

print(f'scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}')


def show(call: str, value) -> None:
    print(f'{call} = {value!r}')


# --- metrics.test.ts: Pearson r (§5.3) and the R² intercept model (§5.1–5.2)
y = np.array([1.0, 2.0, 3.0, 5.0])
yhat = np.array([2.0, 1.0, 4.0, 4.0])
show('st.pearsonr([1, 2, 3, 5], [2, 1, 4, 4]).statistic', float(st.pearsonr(y, yhat).statistic))
# A prediction that varies by 2^-30 relative (far above float64 rounding): r is defined.
show('st.pearsonr([1, 2, 3, 5], [1, 1 + 2**-30, 1, 1 - 2**-30]).statistic',
     float(st.pearsonr(y, np.array([1.0, 1 + 2**-30, 1.0, 1 - 2**-30])).statistic))
# A prediction of the test mean: sklearn's r2_score (test-mean baseline) says 0; brainmap's
# baseline is the outer-training mean (1 here), so R² = 1 − SSE/SSE0 = 1 − 2/10 = 0.8.
show('r2_score([2, 4], [3, 3])', float(r2_score([2.0, 4.0], [3.0, 3.0])))

# --- stats.test.ts: upper tails as survival functions (never 1 − cdf)
show('st.norm.sf(8)', float(st.norm.sf(8)))
show('st.norm.sf(16)', float(st.norm.sf(16)))
show('st.norm.sf(-3)', float(st.norm.sf(-3)))
show('st.norm.cdf(-20)', float(st.norm.cdf(-20)))
show('st.norm.cdf(1.2)', float(st.norm.cdf(1.2)))
show('st.t.sf(30, 20)', float(st.t.sf(30, 20)))
show('st.t.sf(8, 1000)', float(st.t.sf(8, 1000)))
show('st.t.sf(-2.5, 3)', float(st.t.sf(-2.5, 3)))
show('st.t.sf(0.7, 9)', float(st.t.sf(0.7, 9)))
# Paired t-test with a tiny p: a − b = 1 + 0.05·sin(i), i = 0…11.
i = np.arange(12)
b = np.cos(i)
a = b + 1 + 0.05 * np.sin(i)
r = st.ttest_rel(a, b, alternative='greater')
show("st.ttest_rel(a, b, alternative='greater')  # a − b = 1 + 0.05 sin(i), b = cos(i), i = 0…11: statistic", float(r.statistic))
show("  .pvalue", float(r.pvalue))
show("st.ttest_rel(a, b).pvalue  # two-sided", float(st.ttest_rel(a, b).pvalue))
show("st.ttest_rel(b, a, alternative='less').pvalue", float(st.ttest_rel(b, a, alternative='less').pvalue))
# Wilcoxon, normal approximation (n > 50): d_i = (i + 1)·(1 if i % 9 else −1), i = 0…199.
d = np.array([(k + 1) * (1 if k % 9 else -1) for k in range(200)], dtype=float)
show("st.wilcoxon(d, alternative='greater').pvalue  # d_i = (i+1)·(1 if i % 9 else −1), i < 200", float(st.wilcoxon(d, alternative='greater').pvalue))
show("st.wilcoxon(d).pvalue  # two-sided", float(st.wilcoxon(d).pvalue))
show("st.wilcoxon(-d, alternative='less').pvalue", float(st.wilcoxon(-d, alternative='less').pvalue))

# --- stats.test.ts: Wilcoxon with ties and zeros (scipy's method='auto': exact permutation test for
# n ≤ 13 with ties or zeros, normal approximation with tie correction for 13 < n ≤ 50)
cases = {
    'tied': [0.5, -0.5, 0.9, 1.4, -0.6, 0.3, 0.8, 1.1],
    'zeros': [0.0, 0.5, -0.2, 0.9, 1.4, -0.6, 0.3, 0.0],
    'ties+zeros13': [0.0, 1, -1, 2, 2, 3, -4, 5, 5, 6, 7, -8, 9],
    'ties+zeros14': [0.0, 1, -1, 2, 2, 3, -4, 5, 5, 6, 7, -8, 9, 10],
    'allzero': [0.0, 0.0, 0.0],
}
for name, d in cases.items():
    for alt in ('greater', 'less', 'two-sided'):
        r = st.wilcoxon(np.array(d, dtype=float), alternative=alt)
        show(f"st.wilcoxon({d}, alternative='{alt}')  # {name}: statistic, pvalue", (float(r.statistic), float(r.pvalue)))
