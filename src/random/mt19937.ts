/**
 * MT19937 with numpy's legacy `RandomState` semantics (METHODS §2.2).
 *
 * `new MT19937(seed)` is `np.random.RandomState(seed)` / `np.random.seed(seed)` for an integer
 * seed in [0, 2^32): `init_genrand(seed)`, then the standard genrand_int32 generator with
 * tempering. On top of it:
 *
 * - `randomInterval(max)`: numpy's `random_interval` (mask of all bits up to the highest set bit
 *   of `max`, then rejection), used by the legacy `shuffle`.
 * - `shuffle(arr)`: legacy `RandomState.shuffle` of a 1-D array (Fisher–Yates from the end,
 *   `j = randomInterval(i)` for i = n−1 … 1).
 * - `permutation(n)`: legacy `RandomState.permutation(int)` = shuffle(arange(n)).
 * - `randomDouble()`: legacy `random_sample` (53-bit double from two 32-bit draws).
 * - `standardNormal()`: legacy `standard_normal` = `legacy_gauss` (polar Box–Muller; the second
 *   value of each pair is cached and returned by the next call).
 *
 * The integer stream, `randomInterval`, `shuffle`, `permutation` and `randomDouble` are bit-exact
 * with numpy (checked against numpy 2.4 in test/random). `standardNormal` follows the same
 * algorithm and consumes the same draws, but goes through `Math.log`/`Math.sqrt`, whose last bit
 * can differ from glibc's (≈1 ulp).
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** Anything `shuffle` can permute in place. */
export type Shufflable<T = number> =
  | T[]
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;
  private hasGauss = false;
  private gauss = 0;

  /** `seed` must be an integer in [0, 2^32), as numpy requires for `RandomState(int)`. */
  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds in place (numpy `RandomState.seed(int)`); also clears the cached Gaussian. */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`MT19937: seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      // (1812433253 * (prev ^ (prev >>> 30)) + i) mod 2^32; Math.imul gives the low 32 bits.
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.mti = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  private generate(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.mti = 0;
  }

  /** Next tempered 32-bit output, as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    if (this.mti >= N) this.generate();
    let y = this.mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * Uniform integer in [0, max] (inclusive), numpy's `random_interval` for max < 2^32:
   * mask = max with all lower bits set, draw `next_uint32() & mask` until it is ≤ max.
   */
  randomInterval(max: number): number {
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`MT19937.randomInterval: max must be an integer in [0, 2^32 - 1], got ${max}`);
    }
    if (max === 0) return 0;
    let mask = max >>> 0;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do {
      v = (this.nextUint32() & mask) >>> 0;
    } while (v > max);
    return v;
  }

  /** In-place legacy `RandomState.shuffle` of a 1-D array; returns the same array. */
  shuffle<A extends Shufflable<unknown>>(arr: A): A {
    const a = arr as unknown as { length: number; [i: number]: unknown };
    for (let i = a.length - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return arr;
  }

  /** Legacy `RandomState.permutation(n)`: a shuffled `arange(n)`. */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`MT19937.permutation: invalid n ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Legacy `random_sample()`: uniform double in [0, 1) with 53 random bits. */
  randomDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** Legacy `standard_normal()` (numpy `legacy_gauss`, polar method with a cached second value). */
  standardNormal(): number {
    if (this.hasGauss) {
      const t = this.gauss;
      this.hasGauss = false;
      this.gauss = 0;
      return t;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.randomDouble() - 1.0;
      x2 = 2.0 * this.randomDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }
}
