import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortableBackend, getBackend } from '../../src/linalg/index.js';
import { backendSuite } from './helpers.js';

backendSuite('portable', () => new PortableBackend());

test('portable: singleton, name and thread count', () => {
  const be = getBackend('portable');
  assert.equal(be, getBackend('portable'));
  assert.equal(be.name, 'portable');
  be.setThreads(4);
  assert.equal(be.getThreads(), 1, 'the portable backend is single-threaded');
  assert.throws(() => be.setThreads(0), RangeError);
});
