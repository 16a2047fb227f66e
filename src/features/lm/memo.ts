/**
 * A least-recently-used map bounded by the bytes of its values (for the in-process memo of LM
 * features: a GPT2-XL extraction is 49 layers × 3 poolings of samples × 1600 float32).
 */

export class ByteLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private total = 0;
  private max: number;

  /** `limit`: the most bytes held (0 holds nothing). */
  constructor(limit: number) {
    this.max = ByteLru.checkLimit(limit);
  }

  private static checkLimit(limit: number): number {
    if (!(limit >= 0) || !Number.isFinite(limit)) throw new RangeError(`ByteLru: limit must be a finite number of bytes ≥ 0, got ${limit}`);
    return limit;
  }

  /** The most bytes held. */
  get limit(): number {
    return this.max;
  }

  /** Bytes held now (≤ limit). */
  get bytes(): number {
    return this.total;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** Changes the limit, evicting the least recently used entries beyond it. */
  setLimit(limit: number): void {
    this.max = ByteLru.checkLimit(limit);
    this.evict();
  }

  /** The value (and marks it most recently used), or undefined. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Stores a value of `bytes` bytes as the most recently used, evicting the least recently used
   * entries until the total fits. A value larger than the limit is not stored (returns false).
   */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.max) return false;
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    this.evict();
    return true;
  }

  delete(key: string): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    this.entries.delete(key);
    this.total -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.total <= this.max) break;
      this.entries.delete(key);
      this.total -= e.bytes;
    }
  }
}
