import cliProgress from 'cli-progress';

/**
 * State of an exponentially weighted estimate of the work rate (work units per second), fed with
 * (time, completed work) observations. Pure: `ewmaRate` returns a new state.
 */
export interface RateState {
  /** Time (s) and completed work of the last observation. */
  t: number;
  done: number;
  /** Smoothed rate (work per second); null until two observations with progress. */
  rate: number | null;
}

/**
 * Updates the smoothed rate with the observation (t seconds, done work). Each interval's rate
 * (Δdone/Δt) enters with weight 1 − exp(−Δt/τ), so the estimate forgets old speeds over τ seconds
 * whatever the update frequency, and one fast or slow interval moves it only by its share of τ (a
 * stage of quick bookkeeping followed by slow fits does not make the ETA jump from seconds to
 * minutes). Intervals without progress lower the rate the same way (time passes, nothing is done).
 */
export function ewmaRate(prev: RateState | null, t: number, done: number, tau = 30): RateState {
  if (prev === null) return { t, done, rate: null };
  const dt = t - prev.t;
  if (dt <= 0) return { t: prev.t, done: Math.max(prev.done, done), rate: prev.rate };
  const inst = Math.max(0, done - prev.done) / dt;
  if (prev.rate === null) return { t, done, rate: done > prev.done ? inst : null };
  const w = 1 - Math.exp(-dt / tau);
  return { t, done, rate: prev.rate + w * (inst - prev.rate) };
}

/** Seconds left for `total` work at the smoothed rate; null while unknown. */
export function etaSeconds(s: RateState | null, total: number): number | null {
  if (!s || s.rate === null || !(s.rate > 0)) return null;
  return Math.max(0, total - s.done) / s.rate;
}

/** 75 s → "1m15s", 3700 s → "1h02m", null → "…". */
export function formatDuration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '…';
  const r = Math.round(s);
  if (r < 60) return `${r}s`;
  if (r < 3600) return `${Math.floor(r / 60)}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds between two log lines when not on a terminal and the stage does not change. */
export const HEARTBEAT_S = 60;

/** What progress writes to: stderr, or a test's sink. */
export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): unknown;
}

/**
 * Progress on stderr, for tasks that run longer than `delayMs` (shorter ones stay silent). On a
 * terminal: a bar that names its stage ("audit 3/8: OASM shuffled") and shows an ETA smoothed by
 * ewmaRate. Elsewhere (nohup, SLURM, pipes): one log line per stage with the elapsed time, a line
 * every HEARTBEAT_S seconds within a long stage, and one at the end, so a long run is never silent.
 */
export class DelayedProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly started = Date.now();
  private last = { done: 0, total: 1 };
  private stage = '';
  private announced: string | null = null;
  private lastLine = 0;
  private rate: RateState | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly tty: boolean;

  constructor(private readonly label: string, private readonly delayMs = 1000, private readonly stream: ProgressStream = process.stderr) {
    this.tty = stream.isTTY === true;
    this.timer = setInterval(() => this.tick(), 200);
    this.timer.unref();
  }

  private seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Work done of total; `stage` (optional) names what is running now. */
  update(done: number, total: number, stage?: string): void {
    this.last = { done, total };
    this.rate = ewmaRate(this.rate, this.seconds(), done);
    if (stage !== undefined) this.stage = stage;
    this.tick();
    this.bar?.setTotal(total);
    this.bar?.update(done, this.payload());
  }

  private payload(): { stage: string; eta: string } {
    return { stage: this.stage ? ` ${this.stage}` : '', eta: formatDuration(etaSeconds(this.rate, this.last.total)) };
  }

  private tick(): void {
    if (Date.now() - this.started < this.delayMs) return;
    if (!this.tty) {
      const now = this.seconds();
      if (this.announced !== this.stage || now - this.lastLine >= HEARTBEAT_S) {
        const pct = Math.floor((100 * this.last.done) / Math.max(1e-12, this.last.total));
        const eta = etaSeconds(this.rate, this.last.total);
        this.stream.write(`${this.label}${this.stage ? ` ${this.stage}` : ''}: ${pct} %, elapsed ${formatDuration(now)}${eta === null ? '' : `, about ${formatDuration(eta)} left`}\n`);
        this.announced = this.stage;
        this.lastLine = now;
      }
      return;
    }
    if (this.bar) return;
    this.bar = new cliProgress.SingleBar(
      { format: `${this.label}{stage} [{bar}] {percentage}% | {eta} left`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.last.total, this.last.done, this.payload());
  }

  stop(): void {
    clearInterval(this.timer);
    if (!this.tty && this.announced !== null) this.stream.write(`${this.label} finished, elapsed ${formatDuration(this.seconds())}\n`);
    this.bar?.stop();
    this.bar = null;
  }
}
