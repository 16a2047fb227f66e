import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr that appears only once a task has run for more than a second, and only
 * on a terminal (logs and pipes stay clean).
 */
export class DelayedProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly started = Date.now();
  private last = { done: 0, total: 1 };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly label: string, private readonly delayMs = 1000) {
    this.timer = setInterval(() => this.maybeStart(), 200);
    this.timer.unref();
  }

  update(done: number, total: number): void {
    this.last = { done, total };
    this.maybeStart();
    this.bar?.setTotal(total);
    this.bar?.update(done);
  }

  private maybeStart(): void {
    if (this.bar || Date.now() - this.started < this.delayMs || !process.stderr.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      { format: `${this.label} [{bar}] {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.last.total, this.last.done);
  }

  stop(): void {
    clearInterval(this.timer);
    this.bar?.stop();
    this.bar = null;
  }
}
