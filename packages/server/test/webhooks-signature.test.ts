import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError } from '@countersign/core';
import { signWebhook, verifyWebhookSignature } from '../src/index.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"id":"evt_1","type":"action.decided"}';
const NOW = 1_750_000_000_000;
const T = NOW / 1000;

/** The stable reason a verification failed (the code is always `invalid_signature`). */
function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CountersignError);
    assert.equal(e.code, 'invalid_signature');
    return e.extra.reason;
  }
  assert.fail('expected invalid_signature');
}

describe('webhook signatures (t=…,v1=HMAC-SHA256(secret, "t.body"))', () => {
  test('a golden vector, so receivers in other languages can check their code', () => {
    // HMAC-SHA256("whsec-0123456789abcdef", "1750000000.{...}") computed independently:
    // printf '%s' '1750000000.{"id":"evt_1","type":"action.decided"}' |
    //   openssl dgst -sha256 -hmac whsec-0123456789abcdef
    assert.equal(
      signWebhook(SECRET, BODY, T),
      't=1750000000,v1=76dfdd3384590ecd94c535960cd3f69465e6dcfe1eca7494b54d1ab72fb3579c',
    );
  });

  test('verifies with the secret, as a string and as raw bytes', () => {
    const header = signWebhook(SECRET, BODY, T);
    assert.deepEqual(verifyWebhookSignature(SECRET, header, BODY, 300, NOW), { timestamp: T });
    assert.deepEqual(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), 300, NOW), {
      timestamp: T,
    });
  });

  test('fails with another secret, a tampered body, or a stale or future timestamp', () => {
    const header = signWebhook(SECRET, BODY, T);
    assert.equal(
      reasonOf(() => verifyWebhookSignature('another-secret-0123', header, BODY, 300, NOW)),
      'mismatch',
    );
    assert.equal(
      reasonOf(() => verifyWebhookSignature(SECRET, header, BODY.replace('1', '2'), 300, NOW)),
      'mismatch',
    );
    // Replay: a captured delivery presented 301 s later, or a timestamp from the future.
    assert.equal(
      reasonOf(() => verifyWebhookSignature(SECRET, header, BODY, 300, NOW + 301_000)),
      'stale',
    );
    assert.equal(
      reasonOf(() => verifyWebhookSignature(SECRET, header, BODY, 300, NOW - 301_000)),
      'stale',
    );
    // A fresh t with the old v1 does not verify: t is inside the MAC.
    const v1 = header.split('v1=')[1];
    assert.equal(
      reasonOf(() =>
        verifyWebhookSignature(SECRET, `t=${T + 600},v1=${v1}`, BODY, 300, NOW + 600_000),
      ),
      'mismatch',
    );
  });

  test('malformed or missing headers fail with the same code, never another error', () => {
    for (const header of [undefined, null, '']) {
      assert.equal(
        reasonOf(() => verifyWebhookSignature(SECRET, header, BODY, 300, NOW)),
        'missing',
      );
    }
    for (const header of [
      'garbage',
      't=abc,v1=00',
      `v1=00`,
      `t=${T}`,
      `t=${T},t=${T},v1=00`,
      '=,=',
      `t=${T},v1`,
    ]) {
      assert.equal(
        reasonOf(() => verifyWebhookSignature(SECRET, header, BODY, 300, NOW)),
        'malformed',
        header,
      );
    }
  });

  test('several v1 entries (secret rotation): any one matching is enough; unknown schemes are ignored', () => {
    const good = signWebhook(SECRET, BODY, T).split('v1=')[1];
    const old = signWebhook('old-secret-0123456789', BODY, T).split('v1=')[1];
    assert.deepEqual(
      verifyWebhookSignature(SECRET, `t=${T},v1=${old},v1=${good},v0=xyz`, BODY, 300, NOW),
      {
        timestamp: T,
      },
    );
  });
});
