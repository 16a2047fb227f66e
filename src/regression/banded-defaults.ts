/**
 * The banded-ridge search's default size, shared by `score`, `partition` and `audit` (and their
 * library calls) so that one feature spec gets the same fit everywhere. A light module: the CLI
 * reads it for its help text without loading the fitting code.
 */

/**
 * Band-weight (γ) samples of the random search by default. The paper ran 1000
 * (PAPER_BANDED_ITER); the patience rule (50 samples without a gain of 1e-4 in the mean best
 * inner-CV score) usually stops far earlier, and 100 keeps `brainmap audit` on Fedorenko2016
 * (two banded fits among seven) to a few minutes on 2 cores.
 */
export const DEFAULT_BANDED_ITER = 100;

/** The authors' number of band-weight samples. */
export const PAPER_BANDED_ITER = 1000;
