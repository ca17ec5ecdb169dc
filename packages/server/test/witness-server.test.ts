/** The witness's HTTP interface (witness/witness-server.ts) refusing requests from outside. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_ADD_CHECKPOINT_BYTES,
  Witness,
  generateCosignerKey,
  generateNoteKey,
  parseCosignerKey,
} from '@countersign/core';
import { startWitnessServer } from '../src/index.js';

test('tlog-witness "HTTP Interface": an oversize body is 400, a wrong method 405, another path 404; nothing is persisted', async () => {
  const saved: unknown[] = [];
  const witness = new Witness({
    signer: parseCosignerKey(generateCosignerKey('witness.example.com/w').signerKey),
    logKeys: [generateNoteKey('audit.example.com/log').verifierKey],
    store: { save: (state) => Promise.resolve(void saved.push(state)) },
  });
  const server = await startWitnessServer(witness);
  try {
    const oversize = await fetch(`${server.url}/add-checkpoint`, {
      method: 'POST',
      body: `old 0\n\n${'x'.repeat(MAX_ADD_CHECKPOINT_BYTES)}`,
    });
    assert.equal(oversize.status, 400);
    assert.equal(await oversize.text(), 'the body is too large\n');
    const get = await fetch(`${server.url}/add-checkpoint`);
    assert.equal(get.status, 405);
    const put = await fetch(`${server.url}/add-checkpoint`, { method: 'PUT', body: 'old 0\n\n' });
    assert.equal(put.status, 405);
    assert.equal((await fetch(`${server.url}/${'0'.repeat(64)}/checkpoint`)).status, 404);
    assert.equal((await fetch(`${server.url}/elsewhere`, { method: 'POST' })).status, 404);
    assert.deepEqual(saved, []);
    assert.deepEqual(witness.state.logs, {});
  } finally {
    await server.close();
  }
});
