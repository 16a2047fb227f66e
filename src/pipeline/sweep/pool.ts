/**
 * A pool of worker threads that compute jobs (thread.ts), one job per thread at a time. The
 * calling thread stays free for progress, lock heartbeats and queue lock renewal, and commits the
 * computed results to the store itself.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../../data/errors.js';
import type { ComputedJob, ExecuteSettings } from './execute.js';
import type { SweepJob } from './plan.js';

export type ThreadReply =
  | { id: number; ok: true; computed: ComputedJob }
  | { id: number; ok: false; error: { name: string; message: string; input: boolean } };

/** Raised for the jobs of a pool that was terminated. */
export class PoolTerminatedError extends Error {
  constructor() {
    super('the worker pool was shut down');
    this.name = 'PoolTerminatedError';
  }
}

/** What a thread does with a job: compute it whole (default), one chunk of it, or merge its chunks (chunks.ts). */
export type JobTask = { kind: 'job' } | { kind: 'chunk'; index: number } | { kind: 'merge' };

interface Pending {
  id: number;
  job: SweepJob;
  task: JobTask;
  resolve: (o: ComputedJob) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current: Pending | null;
}

function threadEntry(): { spec: string | URL; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(`./thread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return { spec: url, eval: false };
  // Running from TypeScript sources (tsx): Node 20 does not pass loader hooks to worker
  // threads, so the thread registers tsx itself before importing the entry.
  let api = 'tsx/esm/api';
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    // fall back to bare resolution from the working directory
  }
  return { spec: `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); });`, eval: true };
}

export class JobPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private terminated = false;

  constructor(readonly size: number, private readonly settings: ExecuteSettings) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`JobPool: size must be an integer ≥ 1, got ${size}`);
  }

  /** Jobs running or waiting for a thread. */
  get load(): number {
    return this.queue.length + this.slots.filter((s) => s.current).length;
  }

  /** Computes a job (or a chunk of it, or the merge of its chunks) on a pool thread (the caller holds the claim). */
  run(job: SweepJob, task: JobTask = { kind: 'job' }): Promise<ComputedJob> {
    if (this.terminated) return Promise.reject(new PoolTerminatedError());
    return new Promise<ComputedJob>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, task, resolve, reject });
      this.dispatch();
    });
  }

  private spawn(): Slot {
    const entry = threadEntry();
    const worker = new Worker(entry.spec, { eval: entry.eval });
    const slot: Slot = { worker, current: null };
    worker.on('message', (reply: ThreadReply) => {
      const p = slot.current;
      if (!p || p.id !== reply.id) return;
      slot.current = null;
      if (reply.ok) {
        p.resolve(reply.computed);
      } else {
        const e = reply.error.input ? new InputError(reply.error.message) : Object.assign(new Error(reply.error.message), { name: reply.error.name });
        p.reject(e);
      }
      this.dispatch();
    });
    const fail = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      const p = slot.current;
      slot.current = null;
      if (p) p.reject(this.terminated ? new PoolTerminatedError() : err);
      if (!this.terminated) this.dispatch();
    };
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`worker thread exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private dispatch(): void {
    while (!this.terminated && this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const p = this.queue.shift() as Pending;
      slot.current = p;
      slot.worker.postMessage({ id: p.id, job: p.job, task: p.task, settings: this.settings });
    }
  }

  /** Stops every thread now; running and waiting jobs reject with PoolTerminatedError. */
  async terminate(): Promise<void> {
    this.terminated = true;
    for (const p of this.queue.splice(0)) p.reject(new PoolTerminatedError());
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Lets idle threads exit (call when no more jobs will come). */
  async close(): Promise<void> {
    this.terminated = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
