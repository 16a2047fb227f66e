/**
 * Environments of the bench's child processes.
 *
 * brainmap's own processes run with glibc's transparent-huge-page malloc (`npm run bench` and the
 * `brainmap` command set GLIBC_TUNABLES=glibc.malloc.hugetlb=1, see README "Speed"). The references
 * (numpy, himalaya, PyTorch) run as a user runs them: with the environment the bench was started
 * in, less that setting.
 */
export const HUGE_PAGE_TUNABLE = 'glibc.malloc.hugetlb=1';

/** process.env without brainmap's huge-page tunable (the rest of GLIBC_TUNABLES kept). */
export function referenceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const rest = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '' && t !== HUGE_PAGE_TUNABLE);
  if (rest.length > 0) env.GLIBC_TUNABLES = rest.join(':');
  else delete env.GLIBC_TUNABLES;
  return env;
}
