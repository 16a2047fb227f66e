/**
 * Worker-thread entry: computes jobs posted by a JobPool (pool.ts) one at a time and answers each
 * with the computed result or the error. Set-up (BLAS threads, backend) comes in every message.
 */
import { parentPort } from 'node:worker_threads';
import { InputError } from '../../data/errors.js';
import { computeJob, type ExecuteSettings } from './execute.js';
import type { SweepJob } from './plan.js';
import type { JobTask, ThreadReply } from './pool.js';
import { computeChunk, mergeChunks } from './chunks.js';

if (!parentPort) throw new Error('thread.ts must run in a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; job: SweepJob; task: JobTask; settings: ExecuteSettings }) => {
  const t = msg.task;
  const work = t.kind === 'chunk' ? computeChunk(msg.job, t.index, msg.settings) : t.kind === 'merge' ? mergeChunks(msg.job, msg.settings) : computeJob(msg.job, msg.settings);
  work.then(
    (computed) => port.postMessage({ id: msg.id, ok: true, computed } satisfies ThreadReply),
    (err: unknown) => port.postMessage({
      id: msg.id,
      ok: false,
      error: { name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err), input: err instanceof InputError },
    } satisfies ThreadReply),
  );
});
