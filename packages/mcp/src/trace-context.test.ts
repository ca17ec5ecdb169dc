import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isTraceparent, isTracestate, traceContextOf } from './trace-context.js';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C Trace Context in MCP _meta', () => {
  test('§3.2.2: version 00, lower-case hex, non-zero trace-id and parent-id', () => {
    assert.equal(isTraceparent(PARENT), true);
    assert.equal(isTraceparent(PARENT.replace('-01', '-00')), true);
    for (const bad of [
      PARENT.toUpperCase(),
      `ff${PARENT.slice(2)}`,
      `01${PARENT.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      `${PARENT}-extra`,
      `${PARENT}\n`,
      PARENT.slice(1),
      '',
      42,
      undefined,
    ])
      assert.equal(isTraceparent(bad), false, String(bad));
  });

  test('§3.3.1: tracestate list-members key=value, unique keys, 32 members, 512 characters', () => {
    assert.equal(isTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'), true);
    assert.equal(isTracestate('tenant@vendor=x'), true);
    for (const bad of [
      'novalue',
      '=x',
      'Upper=x',
      'a=x,a=y',
      'a=x\r\nevil: 1',
      'a=tab\tx',
      Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','),
      `a=${'v'.repeat(600)}`,
      '',
    ])
      assert.equal(isTracestate(bad), false, bad);
  });

  test('tracestate without a valid traceparent is dropped; a bad tracestate alone is dropped', () => {
    assert.deepEqual(traceContextOf({ traceparent: PARENT, tracestate: 'a=1' }), {
      traceparent: PARENT,
      tracestate: 'a=1',
    });
    assert.deepEqual(traceContextOf({ traceparent: PARENT, tracestate: 'A=1' }), {
      traceparent: PARENT,
    });
    assert.equal(traceContextOf({ traceparent: 'bogus', tracestate: 'a=1' }), undefined);
    assert.equal(traceContextOf(undefined), undefined);
  });
});
