import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { verifyCloudEventSignature } from '../src/index.js';

/** How the receiver answers the validation handshake (Web Hooks §4.2). */
export interface Consent {
  status: number;
  /** `WebHook-Allowed-Origin`; null: the header is left out. */
  allowedOrigin: string | null;
  /** A `Location` (with a 3xx status): the gateway must not follow it. */
  location?: string;
}

/** A POST as the receiver saw and parsed it. */
export interface ReceivedEvent {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** Parsed with the cloudevents SDK's `HTTP.toEvent`; undefined when it threw. */
  event: CloudEventV1<unknown> | undefined;
  /** Why the signature (or the SDK) refused it; undefined when both accepted it. */
  refusal: string | undefined;
}

/**
 * A CloudEvents receiver on 127.0.0.1, written as docs/cloudevents.md tells receivers to be:
 * answers OPTIONS per `consent`, verifies `Countersign-Signature` over the raw bytes before
 * parsing, then parses with `HTTP.toEvent`. Answers 204 when both accept, 401 otherwise.
 */
export interface CloudEventsReceiver {
  url: string;
  consent: Consent;
  options: { path: string; headers: IncomingHttpHeaders }[];
  posts: ReceivedEvent[];
  close(): Promise<void>;
}

export async function startCloudEventsReceiver(
  secret: string,
  /** The clock the signature's timestamp is checked against (the sender's, in tests). */
  now: () => number = Date.now,
  consent: Consent = { status: 200, allowedOrigin: '*' },
): Promise<CloudEventsReceiver> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method === 'OPTIONS') {
        self.options.push({ path, headers: req.headers });
        const headers: Record<string, string> = { allow: 'POST' };
        if (self.consent.allowedOrigin !== null) {
          headers['webhook-allowed-origin'] = self.consent.allowedOrigin;
          headers['webhook-allowed-rate'] = '*';
        }
        if (self.consent.location) headers.location = self.consent.location;
        res.writeHead(self.consent.status, headers).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const got: ReceivedEvent = {
        path,
        headers: req.headers,
        raw,
        event: undefined,
        refusal: undefined,
      };
      try {
        verifyCloudEventSignature(secret, req.headers, raw, 300, now());
        const parsed = HTTP.toEvent({ headers: req.headers, body: raw.toString('utf8') });
        if (Array.isArray(parsed)) throw new Error('a batch was not expected');
        got.event = parsed;
      } catch (e) {
        got.refusal = (e as Error).message;
      }
      self.posts.push(got);
      res.writeHead(got.refusal === undefined ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const self: CloudEventsReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    consent,
    options: [],
    posts: [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}
