import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ActionRecord } from '@countersign/core';
import type { ActionService } from '../actions/action-service.js';
import type { ActionView } from './schemas.js';

export const HEARTBEAT_MS = 15_000;

/**
 * Starts a `text/event-stream` response, or answers a `HEAD` with the same headers and no body.
 * Fastify serves HEAD through the GET route; Node ignores writes to a HEAD response and sends
 * nothing until it ends, so a stream that never ends never answered, and every request
 * pipelined behind it waited too (RFC 9110 §9.3.2: HEAD is GET without the content).
 * Returns the open response, or `undefined` when there is nothing to stream.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
): ServerResponse | undefined {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  if (request.method === 'HEAD') {
    res.end();
    return undefined;
  }
  return res;
}

/**
 * Server-sent events for one request: `event: action` with the full record now, then on
 * every change; the stream ends after a final state. Comments keep proxies from idling out.
 */
export function streamActionEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  first: ActionRecord,
  actions: ActionService,
  view: (r: ActionRecord) => Promise<ActionView>,
): void {
  const res = openEventStream(request, reply);
  if (!res) return;
  let lastUpdate = -1;
  let lastStatus = '';
  let closed = false;
  // Views are rendered in order: each send waits for the previous one.
  let queue = Promise.resolve();
  const send = (r: ActionRecord) => {
    if (r.updated_at === lastUpdate && r.status === lastStatus) return;
    lastUpdate = r.updated_at;
    lastStatus = r.status;
    queue = queue.then(async () => {
      if (closed) return;
      const body = await view(r).catch(() => undefined);
      if (closed || !body) return;
      res.write(`id: ${r.updated_at}\nevent: action\ndata: ${JSON.stringify(body)}\n\n`);
      if (isFinal(r)) close();
    });
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const unsubscribe = actions.subscribe(first.id, send);
  const close = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  };
  res.once('close', () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
  });
  send(first);
}

/** Nothing more will happen to a request once it is decided and, if approved, reported. */
function isFinal(r: ActionRecord): boolean {
  return r.status !== 'pending' && r.status !== 'approved';
}
