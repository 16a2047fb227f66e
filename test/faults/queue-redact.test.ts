import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertNoStack, brainmap, cliChild, exitsWithin, freePort, redisOn, tmp, writeExperiment } from './helpers.js';

const PASSWORD = 'pw-9c1f-secret';

test('queue: the Redis password never appears in output (run --queue, worker, status, errors)', { timeout: 600_000 }, async (t) => {
  const port = await freePort();
  const redis = await redisOn(port, PASSWORD);
  const dir = tmp('redact');
  const children: ReturnType<typeof cliChild>[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis.stop();
  });
  assert.ok(redis.url.includes(PASSWORD));
  const shown = `redis://:***@127.0.0.1:${port}`;
  const exp = writeExperiment(dir, 'r.yaml', 'name: r\ndatasets: [sim:fedorenko:units=0.2]\nfeatures: [sl]\n');
  const store = join(dir, 'store');
  const outputs: [string, string][] = [];

  const e = brainmap(['run', exp, '--store', store, '--queue', redis.url]);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(e.stdout.includes(`start workers with: brainmap worker --queue ${shown} --store ${store} (the password is shown as ***: give the real one)`), e.stdout);
  outputs.push(['run --queue', e.stdout + e.stderr]);

  const w = cliChild(['worker', '--queue', redis.url, '--store', store, '--workers', '1', '--exit-when-drained']);
  children.push(w);
  const rw = await exitsWithin(w, 400_000);
  assert.notEqual(rw, 'alive', w.stderr_());
  assert.ok(w.stderr_().includes(`on ${shown} (brainmap)`), w.stderr_());
  outputs.push(['worker', w.stdout_() + w.stderr_()]);

  const st = brainmap(['status', exp, '--store', store, '--queue', redis.url]);
  assert.equal(st.status, 0, st.stderr);
  assert.ok(st.stdout.includes(`queue ${shown} (brainmap): waiting 0`), st.stdout);
  outputs.push(['status', st.stdout + st.stderr]);

  // Errors: a wrong password, a URL that is not a Redis URL.
  const wrong = `redis://:${PASSWORD}-wrong@127.0.0.1:${port}`;
  for (const args of [['status', '--store', store, '--queue', wrong], ['run', exp, '--store', store, '--queue', wrong], ['worker', '--queue', wrong, '--store', store]]) {
    const r = brainmap(args);
    assertNoStack(r.stderr);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: queue: Redis refused the credentials \\(`));
    outputs.push([`${args[0]} with a wrong password`, r.stdout + r.stderr]);
  }
  const notRedis = brainmap(['status', '--store', store, '--queue', `http://user:${PASSWORD}@127.0.0.1:${port}`]);
  assert.equal(notRedis.status, 2);
  assert.equal(notRedis.stderr, `error: http://user:***@127.0.0.1:${port}: queue: expected redis://host:port (or rediss://host:port for TLS), e.g. redis://127.0.0.1:6379\n`);
  outputs.push(['status with an http URL', notRedis.stdout + notRedis.stderr]);

  for (const [what, text] of outputs) assert.ok(!text.includes(PASSWORD), `${what} shows the password:\n${text}`);
});
