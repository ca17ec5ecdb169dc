import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign, verify, type KeyObject } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { jwtVerify } from 'jose';
import { signCompactJws } from '../src/grants/compact-jws.js';
import { InThreadSigner } from '../src/grants/in-thread-signer.js';
import type { SignBatch } from '../src/grants/sign-batch.js';
import { WorkerSigner, type WorkerSignerOptions } from '../src/grants/worker-signer.js';

const FAULTY = new URL('./faulty-sign-worker.js', import.meta.url);
const SILENT = new URL('./silent-sign-worker.js', import.meta.url);
const ed25519 = () => generateKeyPairSync('ed25519');
const { privateKey, publicKey } = ed25519();

/** One event-loop turn: the signer's flush, scheduled earlier, has posted its batch. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('grant signer', () => {
  const open: WorkerSigner[] = [];
  after(() => Promise.all(open.map((s) => s.close())));

  /**
   * A worker signer whose failures are recorded instead of warned about. Even a lone request
   * goes to its worker (minBatch 1), unless the test says otherwise.
   */
  const signer = (options: WorkerSignerOptions = {}) => {
    const failures: string[] = [];
    const onFailure = (_e: Error, next: string) => void failures.push(next);
    const s = new WorkerSigner({ minBatch: 1, onFailure, ...options });
    open.push(s);
    return { s, failures };
  };
  /** Signs each input through `s` and checks every signature against its own input. */
  const signAll = async (s: WorkerSigner, inputs: string[]) => {
    const signatures = await Promise.all(
      inputs.map((i) => s.sign('k1', privateKey, Buffer.from(i))),
    );
    signatures.forEach((sig, i) =>
      assert.ok(verify(null, Buffer.from(inputs[i]), publicKey, sig), `signature ${i}`),
    );
    return signatures;
  };
  /** Records the kids whose keys each message to the worker carries. */
  const watchKeys = (worker: Worker | undefined) => {
    assert.ok(worker);
    const sent: string[][] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (...args: Parameters<Worker['postMessage']>) => {
      sent.push((args[0] as SignBatch).keys.map((k) => k.kid));
      post(...args);
    };
    return sent;
  };

  test('a grant signed on the worker verifies with jose, byte for byte as in-thread', async () => {
    const { s } = signer();
    assert.equal(await s.ready(), true);
    const header = { alg: 'EdDSA' as const, kid: 'k1', typ: 'countersign-grant+jwt' };
    const payload = { sub: 'exporter', rows: 500 };
    const token = await signCompactJws(header, payload, privateKey, s);
    const { payload: verified, protectedHeader } = await jwtVerify(token, publicKey, {
      algorithms: ['EdDSA'],
    });
    assert.deepEqual(verified, payload);
    assert.deepEqual(protectedHeader, header);
    assert.equal(s.stats.signedInWorker, 1);
    // Ed25519 is deterministic (RFC 8032 §5.1.6): the same bytes as a signature made here.
    assert.equal(token, await signCompactJws(header, payload, privateKey, new InThreadSigner()));
  });

  test('1,000 concurrent signs each resolve with their own signature, in a few messages', async () => {
    const { s } = signer();
    assert.equal(await s.ready(), true);
    const inputs = Array.from({ length: 1000 }, (_, i) => `grant input ${i}`);
    const signatures = await signAll(s, inputs);
    assert.equal(new Set(signatures.map((sig) => sig.toString('hex'))).size, 1000);
    assert.ok(!verify(null, Buffer.from(inputs[1]), publicKey, signatures[0]), 'bound to input');
    assert.deepEqual(s.stats, {
      spawned: 1,
      batches: 4, // 256 a message
      signedInWorker: 1000,
      signedInThread: 0,
      failures: 0,
    });
  });

  test('two kids in one batch each sign with their own key, sent to the worker once', async () => {
    const { s } = signer();
    assert.equal(await s.ready(), true);
    const keys: Record<string, { privateKey: KeyObject; publicKey: KeyObject }> = {
      a: ed25519(),
      b: ed25519(),
    };
    const sent = watchKeys(s.worker);
    const round = async (tag: string) => {
      const jobs = Array.from({ length: 20 }, (_, i) => {
        const kid = i % 2 === 0 ? 'a' : 'b';
        const input = Buffer.from(`${tag} ${i}`);
        return { kid, input, signature: s.sign(kid, keys[kid].privateKey, input) };
      });
      for (const { kid, input, signature } of jobs) {
        const other = kid === 'a' ? 'b' : 'a';
        assert.ok(verify(null, input, keys[kid].publicKey, await signature));
        assert.ok(!verify(null, input, keys[other].publicKey, await signature));
      }
    };
    await round('first');
    await round('second');
    assert.deepEqual(sent, [['a', 'b'], []], 'each key crosses once');
    // A new key object under a known kid is sent again, never confused with the cached one.
    keys.a = ed25519();
    await round('third');
    assert.deepEqual(sent, [['a', 'b'], [], ['a']]);
    assert.equal(s.stats.signedInThread, 0);
  });

  test('one kid with two keys in one turn: each request is signed with exactly its own key', async () => {
    const { s } = signer();
    assert.equal(await s.ready(), true);
    const first = ed25519();
    const second = ed25519();
    const input = Buffer.from('same kid');
    const [one, two] = await Promise.all([
      s.sign('k', first.privateKey, input),
      s.sign('k', second.privateKey, input),
    ]);
    assert.ok(verify(null, input, first.publicKey, one));
    assert.ok(verify(null, input, second.publicKey, two));
  });

  test('a key the worker cannot sign with fails with crypto’s own error; its batch is unaffected', async () => {
    const { s, failures } = signer();
    assert.equal(await s.ready(), true);
    const x25519 = generateKeyPairSync('x25519').privateKey;
    const input = Buffer.from('not a signing key');
    let expected: unknown;
    try {
      cryptoSign(null, input, x25519);
    } catch (e) {
      expected = e;
    }
    assert.ok(expected instanceof Error);
    const bad = s.sign('x', x25519, input);
    const good = signAll(s, ['neighbour 1', 'neighbour 2']);
    await assert.rejects(bad, { message: expected.message });
    await good;
    assert.equal(s.stats.batches, 1);
    assert.equal(s.stats.signedInWorker, 2);
    assert.deepEqual(failures, [], 'a bad key is not a worker failure');
  });

  test('a worker killed while it holds requests: they are signed in-thread; later ones get a new worker', async () => {
    const { s, failures } = signer({ workerUrl: FAULTY });
    assert.equal(await s.ready(), true);
    const inputs = ['drop', ...Array.from({ length: 49 }, (_, i) => `held ${i}`)];
    const held = signAll(s, inputs);
    await turn();
    assert.equal(s.stats.batches, 1, 'the batch is with the worker');
    await s.worker?.terminate();
    await held;
    assert.equal(s.stats.signedInThread, 50);
    assert.deepEqual(failures, ['respawn']);
    assert.equal(await s.ready(), true);
    await signAll(s, ['later']);
    assert.equal(s.stats.spawned, 2);
    assert.equal(s.stats.signedInWorker, 1);
  });

  for (const fault of ['exit', 'throw'] as const) {
    test(`a worker that dies mid-batch (${fault}): no request lost, and the next worker signs`, async () => {
      const { s, failures } = signer({ workerUrl: FAULTY });
      assert.equal(await s.ready(), true);
      await signAll(s, ['a', fault, 'b']);
      assert.equal(s.stats.signedInThread, 3);
      assert.deepEqual(failures, ['respawn']);
      assert.equal(await s.ready(), true);
      await signAll(s, ['c', 'd']);
      assert.equal(s.stats.signedInWorker, 2);
    });
  }

  test('a worker that stops answering is replaced after timeoutMs; its requests are signed in-thread', async () => {
    const { s, failures } = signer({ workerUrl: FAULTY, timeoutMs: 200 });
    assert.equal(await s.ready(), true);
    const started = Date.now();
    await signAll(s, ['drop', 'x']);
    assert.ok(Date.now() - started >= 190, 'waited for the watchdog');
    assert.equal(s.stats.signedInThread, 2);
    assert.deepEqual(failures, ['respawn']);
  });

  test('a worker that never becomes ready is replaced after timeoutMs; meanwhile signing is in-thread', async () => {
    const { s, failures } = signer({ workerUrl: SILENT, timeoutMs: 200 });
    const ready = s.ready();
    await signAll(s, ['while it starts']);
    assert.equal(await ready, false);
    assert.deepEqual(failures, ['respawn']);
    assert.equal(s.stats.signedInThread, 1);
  });

  test('after maxFailures failures in a row it signs in-thread for good', async () => {
    const { s, failures } = signer({ workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    for (let i = 0; i < 3; i++) assert.equal(await s.ready(), false);
    assert.deepEqual(failures, ['respawn', 'respawn', 'in-thread']);
    await signAll(s, ['still', 'signs']);
    assert.equal(await s.ready(), false);
    assert.equal(s.stats.spawned, 3, 'no fourth attempt');
    assert.equal(s.stats.signedInThread, 2);
  });

  test('by default a lone request is signed in-thread, and two in one turn go to the worker', async () => {
    const { s } = signer({ minBatch: undefined });
    await signAll(s, ['alone']);
    assert.equal(s.stats.spawned, 0, 'no worker yet: none was needed');
    await signAll(s, ['a pair', 'starts the worker']);
    assert.equal(await s.ready(), true);
    await signAll(s, ['alone again']);
    await signAll(s, ['a pair', 'on the worker']);
    assert.deepEqual(s.stats, {
      spawned: 1,
      batches: 1,
      signedInWorker: 2,
      signedInThread: 4,
      failures: 0,
    });
  });

  test('requests made before the worker is online are signed in-thread, not made to wait', async () => {
    const { s } = signer();
    await signAll(s, ['at start']);
    assert.equal(s.stats.spawned, 1);
    assert.equal(s.stats.signedInThread, 1);
    assert.equal(await s.ready(), true);
    await signAll(s, ['once up']);
    assert.equal(s.stats.signedInWorker, 1);
  });

  test('close(): held requests are signed, the worker ends, and later signs work in-thread', async () => {
    const { s, failures } = signer({ workerUrl: FAULTY });
    assert.equal(await s.ready(), true);
    const held = signAll(s, ['drop']);
    await turn();
    await s.close();
    await held;
    assert.equal(s.worker, undefined);
    await signAll(s, ['after close']);
    await s.close();
    assert.equal(await s.ready(), false);
    assert.equal(s.stats.spawned, 1, 'close is for good: no new worker');
    assert.equal(s.stats.signedInThread, 2);
    assert.deepEqual(failures, [], 'closing is not a failure');
  });

  test('an idle worker never keeps the process alive; one that owes a signature does', () => {
    // No close(): the child must still exit on its own, and only after its signature came back.
    const module = new URL('../src/grants/worker-signer.js', import.meta.url).href;
    const script = `
      import { generateKeyPairSync, verify } from 'node:crypto';
      import { WorkerSigner } from ${JSON.stringify(module)};
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const signer = new WorkerSigner({ minBatch: 1 });
      await signer.ready();
      const input = Buffer.from('owed');
      const signature = await signer.sign('k', privateKey, input);
      console.log(JSON.stringify({ valid: verify(null, input, publicKey, signature), ...signer.stats }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(child.status, 0, `exit ${child.status} ${child.signal}: ${child.stderr}`);
    const out = JSON.parse(child.stdout);
    assert.equal(out.valid, true);
    assert.equal(out.signedInWorker, 1);
  });
});
