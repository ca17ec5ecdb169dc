import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CountersignError, EMPTY_WITNESS_STATE, type WitnessState } from '@countersign/core';
import { witnessStateFile } from '../src/index.js';

const STATE: WitnessState = {
  version: 1,
  logs: {
    'audit.example.com/log': {
      size: 3,
      root_hash: Buffer.alloc(32, 1).toString('base64'),
      note: 'audit.example.com/log\n3\n…\n',
    },
  },
};

test('tlog-witness "add-checkpoint": the state is persisted atomically, 0600, no temporary file left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-witness-state-'));
  try {
    const path = join(dir, 'state.json');
    const empty = witnessStateFile(path);
    assert.deepEqual(empty.state, EMPTY_WITNESS_STATE);
    await empty.store.save(STATE);
    assert.deepEqual(readdirSync(dir), ['state.json']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(witnessStateFile(path).state, STATE);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), STATE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a state file that cannot be read stops the witness instead of starting afresh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-witness-state-'));
  try {
    const path = join(dir, 'state.json');
    for (const text of [
      '{"version":1,"logs":{"x":{"size":3,"root_hash":"short","note":""}}}',
      '{"version":2,"logs":{}}',
      '{"version":1,"logs":{"x":{"size":-1.5,"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","note":""}}}',
      '{"version":1,',
      '',
    ]) {
      writeFileSync(path, text);
      assert.throws(
        () => witnessStateFile(path),
        (e: unknown) => e instanceof CountersignError && e.code === 'config_invalid',
        text,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
