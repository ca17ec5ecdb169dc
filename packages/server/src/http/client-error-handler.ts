import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { newId, type CountersignError } from '@countersign/core';
import { parserErrorOf, rawProblemResponse } from './problem.js';

/** What a parser refusal is recorded with: no request was ever formed. */
export interface ParserRefusal {
  problem: CountersignError;
  /** Shaped like the request the refusal recorder reads (audit/refusal-recorder.ts). */
  request: FastifyRequest;
}

/**
 * Node's `clientError` handler (Fastify's `clientErrorHandler` option): a request Node's parser
 * refused (a bad method, NUL in a header, both Content-Length and Transfer-Encoding, 431 header
 * overflow, the request timeout). No request or reply exists, so the problem+json response is
 * written to the socket directly, with `Connection: close`, and the socket is closed once it is
 * flushed (https://nodejs.org/api/http.html#event-clienterror).
 */
export function clientErrorHandler(onRefusal: (refusal: ParserRefusal) => void) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    // A reset or a closed socket has nobody left to answer; and a response already under way
    // on this socket (a pipelined request) must not have our bytes spliced into it. Node's
    // default handler makes the same two checks; `_httpMessage` is the ServerResponse Node
    // attaches to the socket (node/lib/_http_server.js).
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (
      error.code === 'ECONNRESET' ||
      socket.destroyed ||
      !socket.writable ||
      current?.headersSent === true
    ) {
      socket.destroy();
      return;
    }
    const problem = parserErrorOf(error);
    const id = newId('req');
    socket.end(rawProblemResponse(problem, id), () => socket.destroy());
    // A peer that never reads must not hold the socket open.
    setTimeout(() => socket.destroy(), 5_000).unref();
    // The recorder reads these fields only; nothing else of a request exists here.
    const request = {
      id,
      method: 'unknown',
      ip: socket.remoteAddress ?? 'unknown',
      params: undefined,
      principal: undefined,
      routeOptions: { url: undefined },
    } as unknown as FastifyRequest;
    onRefusal({ problem, request });
  };
}
