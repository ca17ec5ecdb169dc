import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_ADD_CHECKPOINT_BYTES, type Witness, type WitnessResponse } from '@countersign/core';

export interface WitnessServer {
  /** E.g. `http://127.0.0.1:7380`: the submission and monitoring prefix. */
  url: string;
  close(): Promise<void>;
}

/**
 * A witness's HTTP interface (C2SP tlog-witness "HTTP Interface"), the same prefix for
 * submission and monitoring: `POST /add-checkpoint` and `GET /<origin hash>/checkpoint`.
 * Answers are the protocol's text bodies and status codes, not problem+json: any tlog-witness
 * client can talk to it. There is no authentication "beyond the validation of the signature
 * on the checkpoint".
 */
export async function startWitnessServer(
  witness: Witness,
  options: { host?: string; port?: number; onRequest?: (line: string) => void } = {},
): Promise<WitnessServer> {
  const server = createServer((req, res) => {
    handle(witness, req)
      .then((answer) => {
        options.onRequest?.(`${req.method} ${req.url} ${answer.status}`);
        send(res, answer);
      })
      .catch(() => send(res, text(500, 'internal error')));
  });
  // Witness requests are small and quick; a client that dribbles its body is cut off.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(witness: Witness, req: IncomingMessage): Promise<WitnessResponse> {
  const path = new URL(req.url ?? '/', 'http://witness').pathname;
  if (path === '/add-checkpoint') {
    // "The request MUST be an HTTP POST."
    if (req.method !== 'POST') return text(405, 'add-checkpoint is a POST');
    const body = await readBody(req);
    if (body === undefined) return text(400, 'the body is too large');
    return witness.addCheckpoint(body);
  }
  const monitor = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path);
  if (monitor && req.method === 'GET') return witness.checkpoint(monitor[1]);
  return text(404, 'not found');
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > MAX_ADD_CHECKPOINT_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function text(status: number, message: string): WitnessResponse {
  return {
    status: status as WitnessResponse['status'],
    contentType: 'text/plain; charset=utf-8',
    body: `${message}\n`,
  };
}

function send(res: ServerResponse, answer: WitnessResponse): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    'cache-control': 'no-store',
  });
  res.end(answer.body);
}
