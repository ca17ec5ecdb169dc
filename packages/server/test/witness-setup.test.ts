/** What a witness and a gateway read at start: the witness state file, audit.witnesses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CountersignError,
  EMPTY_WITNESS_STATE,
  generateCosignerKey,
  generateNoteKey,
  type WitnessState,
} from '@countersign/core';
import { ConfigError, resolveConfig, witnessStateFile } from '../src/index.js';

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

test('audit.witnesses: a log key instead of a cosigner key, or a name twice, is a config error', () => {
  const cosigner = generateCosignerKey('witness.example.org/w1').verifierKey;
  const logKey = generateNoteKey('audit.example.com/log').verifierKey;
  const config = (witnesses: { name: string; url: string; vkey: string }[]) =>
    resolveConfig(
      {
        policy: 'policy.yaml',
        directory: { users: [{ id: 'root', admin: true }] },
        audit: { witnesses },
      },
      tmpdir(),
      {},
    );
  assert.deepEqual(
    config([{ name: 'w1', url: 'http://127.0.0.1:1/', vkey: cosigner }]).audit.witnesses,
    [{ name: 'w1', url: 'http://127.0.0.1:1', vkey: cosigner }],
  );
  assert.throws(
    () => config([{ name: 'w1', url: 'http://127.0.0.1:1', vkey: logKey }]),
    (e: unknown) => e instanceof ConfigError && /witnesses\.0\.vkey|0x04/.test(e.message),
  );
  assert.throws(
    () =>
      config([
        { name: 'w1', url: 'http://127.0.0.1:1', vkey: cosigner },
        { name: 'w1', url: 'http://127.0.0.1:2', vkey: cosigner },
      ]),
    (e: unknown) => e instanceof ConfigError && /duplicate witness/.test(e.message),
  );
});
