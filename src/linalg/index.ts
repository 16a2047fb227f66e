/**
 * linalg: dense matrices and one numeric Backend interface with two implementations —
 * `native` (OpenBLAS through the N-API addon) and `portable` (TypeScript). Pick one with
 * getBackend(); 'auto' prefers native and falls back to portable with a one-time warning.
 * The environment variable BRAINMAP_BACKEND=native|portable overrides 'auto'.
 */
import type { Backend } from './backend.js';
import { type NativeBackend, loadNativeBackend, nativeUnavailableReason } from './native.js';
import { PortableBackend } from './portable.js';

export * from './matrix.js';
export * from './backend.js';
export { NativeBackend, type NativeAddon, loadNativeBackend, nativeUnavailableReason, nativeAddonCandidates } from './native.js';
export { PortableBackend } from './portable.js';

export type BackendPreference = 'auto' | 'native' | 'portable';

let nativeSingleton: NativeBackend | null | undefined;
let portableSingleton: PortableBackend | undefined;
let warned = false;
let threadOverride: number | undefined;

function native(): NativeBackend | null {
  if (nativeSingleton === undefined) {
    nativeSingleton = loadNativeBackend();
    if (nativeSingleton && threadOverride !== undefined) nativeSingleton.setThreads(threadOverride);
  }
  return nativeSingleton;
}

function portable(): PortableBackend {
  portableSingleton ??= new PortableBackend();
  return portableSingleton;
}

function envPreference(): 'native' | 'portable' | undefined {
  const raw = process.env.BRAINMAP_BACKEND;
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (raw === 'native' || raw === 'portable') return raw;
  throw new Error(`brainmap: BRAINMAP_BACKEND must be 'native', 'portable' or 'auto', got '${raw}'`);
}

/**
 * The backend to compute with (one instance per kind, created on first use).
 *  - 'native': OpenBLAS; throws an Error with the reason when the addon is unavailable.
 *  - 'portable': the TypeScript implementation.
 *  - 'auto' (default): BRAINMAP_BACKEND if set, else native when it loads, else portable with a
 *    single warning line on stderr (printed once per process).
 */
export function getBackend(preference: BackendPreference = 'auto'): Backend {
  const kind = preference === 'auto' ? envPreference() : preference;
  if (kind === 'portable') return portable();
  if (kind === 'native') {
    const nb = native();
    if (!nb) throw new Error(`brainmap: the native BLAS backend was requested but is not available: ${nativeUnavailableReason() ?? 'unknown reason'}`);
    return nb;
  }
  if (kind !== undefined) throw new Error(`brainmap: unknown backend preference '${String(kind)}'`);
  const nb = native();
  if (nb) return nb;
  if (!warned) {
    warned = true;
    process.stderr.write(
      `brainmap: native BLAS backend not available (${nativeUnavailableReason() ?? 'unknown reason'}); using the portable TypeScript backend (slower). Install libopenblas-dev liblapacke-dev and run npm ci.\n`,
    );
  }
  return portable();
}

/**
 * Sets the BLAS thread count of every backend created so far and of those created later
 * (the portable backend is single-threaded and only validates the value).
 */
export function setBlasThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setBlasThreads: expected an integer ≥ 1, got ${n}`);
  threadOverride = n;
  if (nativeSingleton) nativeSingleton.setThreads(n);
  if (portableSingleton) portableSingleton.setThreads(n);
}
