import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { closeOrGiveUp, startAllChannels, type AllChannels } from './all-channels-harness.js';

/**
 * The OpenAPI document is a contract other tools read (client generators, API gateways,
 * Redocly): it is linted here with Redocly's `recommended` ruleset, the one `redocly lint`
 * applies by default, on a gateway with every channel on so that the Slack and Teams callbacks
 * are in it too.
 */
describe('the OpenAPI document', () => {
  let loop: AllChannels;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an arbitrary JSON document
  let doc: any;
  before(async () => {
    loop = await startAllChannels('sqlite');
    doc = (await loop.gw.call('GET', '/openapi.json')).body;
  });
  after(() => closeOrGiveUp(loop));

  test('passes `redocly lint` with the recommended rules: no errors, no warnings', async () => {
    const config = await createConfig({
      extends: ['recommended'],
      rules: {
        // The server is the gateway's own public_url, which for this test gateway is a loopback
        // address; a deployed gateway serves its real URL. Nothing else is turned off.
        'no-server-example.com': 'off',
      },
    });
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: `${loop.gw.url}/openapi.json`,
      config,
    });
    const lines = problems.map(
      (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`,
    );
    assert.deepEqual(lines, []);
  });

  /** Every operation in the document, with its path and method. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an arbitrary JSON document
  const operations = (): { path: string; method: string; op: any }[] =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an arbitrary JSON document
      Object.entries(item as Record<string, any>).map(([method, op]) => ({ path, method, op })),
    );

  test('every operation has a unique camelCase operationId', () => {
    const ids = operations().map(({ path, method, op }) => {
      assert.match(String(op.operationId), /^[a-z][A-Za-z0-9]*$/, `${method} ${path}`);
      return op.operationId as string;
    });
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ['submitAction', 'getAction', 'waitForAction', 'voteOnAction']) {
      assert.ok(ids.includes(id), id);
    }
  });

  test('public operations say so with `security: []`; the rest inherit the bearer scheme', () => {
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    const publicPaths = ['/healthz', '/readyz', '/metrics', '/.well-known/jwks.json'];
    for (const path of publicPaths) assert.deepEqual(doc.paths[path].get.security, [], path);
    assert.deepEqual(doc.paths['/slack/interactions'].post.security, []);
    assert.match(doc.paths['/slack/interactions'].post.description, /signature/i);
    assert.deepEqual(doc.paths['/api/messages'].post.security, []);
    assert.match(doc.paths['/api/messages'].post.description, /JWT|token/);
    for (const path of ['/v1/actions', '/v1/audit/entries', '/v1/inbox/events']) {
      const op = doc.paths[path].get ?? doc.paths[path].post;
      assert.deepEqual(op.security ?? doc.security, [{ bearer: [] }], path);
    }
  });

  test('event streams, probes and metrics document what they answer', () => {
    const sse = doc.paths['/v1/actions/{id}/events'].get.responses['200'].content;
    assert.ok(sse['text/event-stream'], 'SSE 200 is text/event-stream');
    assert.ok(doc.paths['/readyz'].get.responses['503'].content['application/problem+json']);
    assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain']);
    assert.equal(doc.info.license.identifier, 'Apache-2.0');
    assert.ok(doc.tags.every((t: { description?: string }) => t.description));
  });
});
