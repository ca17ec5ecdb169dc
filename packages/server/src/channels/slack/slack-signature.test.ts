import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountersignError } from '@countersign/core';
import { signSlackRequest, verifySlackSignature } from './slack-signature.js';

// Slack's worked example (https://docs.slack.dev/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TS = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const reasonOf = (run: () => unknown): unknown => {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof CountersignError);
    assert.equal(e.code, 'invalid_signature');
    return e.extra.reason;
  }
  assert.fail('verified');
};

test("Slack's published example signs and verifies", () => {
  assert.equal(signSlackRequest(DOC_SECRET, DOC_TS, DOC_BODY), DOC_SIGNATURE);
  const body = Buffer.from(DOC_BODY);
  const at = DOC_TS * 1000 + 60_000;
  const ok = verifySlackSignature(
    DOC_SECRET,
    { signature: DOC_SIGNATURE, timestamp: String(DOC_TS) },
    body,
    at,
  );
  assert.equal(ok.timestamp, DOC_TS);
  // Upper-case hex is the same MAC.
  const upper = `v0=${DOC_SIGNATURE.slice(3).toUpperCase()}`;
  verifySlackSignature(DOC_SECRET, { signature: upper, timestamp: String(DOC_TS) }, body, at);
});

test('a bad, missing, malformed or out-of-window signature is refused with its reason', () => {
  const body = Buffer.from(DOC_BODY);
  const ts = String(DOC_TS);
  const at = DOC_TS * 1000;
  const verify = (
    signature: string | undefined,
    timestamp: string | undefined,
    b = body,
    now = at,
  ) => reasonOf(() => verifySlackSignature(DOC_SECRET, { signature, timestamp }, b, now));
  assert.equal(verify(undefined, ts), 'missing');
  assert.equal(verify(DOC_SIGNATURE, undefined), 'missing');
  assert.equal(verify('v1=abc', ts), 'malformed');
  assert.equal(verify(DOC_SIGNATURE, '15314206.18'), 'malformed');
  assert.equal(verify(DOC_SIGNATURE, ts, Buffer.from(`${DOC_BODY}&x=1`)), 'mismatch');
  assert.equal(
    reasonOf(() =>
      verifySlackSignature(
        'another-secret-of-32-characters!',
        { signature: DOC_SIGNATURE, timestamp: ts },
        body,
        at,
      ),
    ),
    'mismatch',
  );
  assert.equal(verify(DOC_SIGNATURE, ts, body, at + 301_000), 'stale');
  assert.equal(verify(DOC_SIGNATURE, ts, body, at - 301_000), 'stale'); // from the future
  // Within ±300 s both ways is fine.
  verifySlackSignature(DOC_SECRET, { signature: DOC_SIGNATURE, timestamp: ts }, body, at + 299_000);
  verifySlackSignature(DOC_SECRET, { signature: DOC_SIGNATURE, timestamp: ts }, body, at - 299_000);
});
