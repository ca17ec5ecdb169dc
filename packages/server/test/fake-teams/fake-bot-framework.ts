import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * Microsoft's side of a Teams bot, on loopback, for offline tests: the Bot Connector's OpenID
 * metadata and signing keys (JWKS with `endorsements`), the Entra token endpoint (client
 * credentials), and the Bot Connector REST API the bot calls (create conversation, send,
 * update, member lookup). Tokens for inbound activities are signed here with a local key
 * that the metadata publishes, exactly as the real service signs them.
 */
export const APP_ID = '6b1f4c5e-0d4e-4f61-9b3a-2a9c1f0e7d11';
export const APP_PASSWORD = 'fake-teams-client-secret';
export const TENANT_ID = 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff';
export const ISSUER = 'https://api.botframework.com';

/** A card the bot posted: where, and what (the Adaptive Card JSON). */
export interface PostedCard {
  kind: 'channel' | 'dm';
  /** The team channel id, or the user's Entra object id. */
  target: string;
  conversationId: string;
  activityId: string;
  /** The attachment's content type: application/vnd.microsoft.card.adaptive. */
  contentType: unknown;
  card: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on card JSON
}

export interface ConnectorCall {
  method: string;
  path: string;
  status?: number;
}

export type ConnectorAnswer = 'ok' | 'hang' | number;

export interface SignOptions {
  aud?: string;
  iss?: string;
  serviceUrl?: string | null;
  /** Seconds from now; negative: already expired; null: no `exp` at all. */
  expiresIn?: number | null;
  /** `rogue`: a key the metadata does not publish (same kid). `skype`: published, not endorsed for msteams. */
  key?: 'good' | 'rogue' | 'skype';
}

/** Teams refuses a message over 28 KB (the activity JSON). */
export const MESSAGE_LIMIT_BYTES = 28 * 1024;

export interface FakeBotFramework {
  url: string;
  /** Where the bot sends (its configured service URL). */
  serviceUrl: string;
  /**
   * What inbound activities carry as `serviceUrl` (and tokens as `serviceurl`): a regional
   * URL, not the one the bot is configured to send to, as in Teams
   * (https://smba.trafficmanager.net/amer/ in, …/teams/ out).
   */
  inboundServiceUrl: string;
  /**
   * Who the app is installed for: Entra object ids (personal scope) and team channel ids.
   * Teams refuses a personal chat with anyone else (403) and a post to any other channel.
   */
  installations: Set<string>;
  /** Team ids (`channelData.team.id`), each with its roster: member lookups go to these. */
  teams: Map<string, Set<string>>;
  /** Every refused connector call, with why: for assertions. */
  refusals: Array<{ path: string; status: number; reason: string }>;
  metadataUrl: string;
  tokenUrl: string;
  /** How the connector answers (metadata and token endpoint always answer). */
  connector: ConnectorAnswer;
  /** Whether the OpenID metadata answers. */
  metadataUp: boolean;
  posts: PostedCard[];
  updates: Array<{ conversationId: string; activityId: string; card: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- card JSON
  calls: ConnectorCall[];
  /** The Teams roster for member lookups, by Teams user id (29:…). */
  members: Map<string, Record<string, string>>;
  /** The latest card shown for a post (its last update, or as posted). */
  cardOf(post: PostedCard): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- card JSON
  sign(options?: SignOptions): Promise<string>;
  release(): void;
  close(): Promise<void>;
}

export async function startFakeBotFramework(): Promise<FakeBotFramework> {
  const [good, rogue, skype] = await testKeys();
  const jwks = {
    keys: [
      {
        ...good.jwk,
        kid: 'bf-key-1',
        use: 'sig',
        alg: 'RS256',
        endorsements: ['msteams', 'webchat'],
      },
      { ...skype.jwk, kid: 'bf-key-skype', use: 'sig', alg: 'RS256', endorsements: ['skype'] },
    ],
  };
  const issued = new Set<string>();
  const hanging: ServerResponse[] = [];
  const conversations = new Set<string>();
  let seq = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/openid') {
      if (!self.metadataUp) return json(res, 503, { error: 'down' });
      return json(res, 200, {
        issuer: ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${url}/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (req.method === 'GET' && path === '/keys') return json(res, 200, jwks);
    if (req.method === 'POST' && path === `/${TENANT_ID}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(body);
      if (
        form.get('grant_type') !== 'client_credentials' ||
        form.get('client_id') !== APP_ID ||
        form.get('client_secret') !== APP_PASSWORD ||
        form.get('scope') !== 'https://api.botframework.com/.default'
      ) {
        return json(res, 401, { error: 'invalid_client' });
      }
      const token = `fake-bot-token-${++seq}`;
      issued.add(token);
      return json(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: token });
    }
    if (!path.startsWith('/teams/v3/')) return json(res, 404, { error: 'no such endpoint' });

    const call: ConnectorCall = { method: req.method ?? '', path };
    self.calls.push(call);
    if (self.connector === 'hang') {
      hanging.push(res);
      return;
    }
    const answer = (status: number, out: unknown) => {
      call.status = status;
      json(res, status, out);
    };
    if (typeof self.connector === 'number') {
      return answer(self.connector, { error: { code: 'ServiceError', message: 'down' } });
    }
    const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!issued.has(auth)) return answer(401, { error: { code: 'Unauthorized' } });

    const refuse = (status: number, reason: string) => {
      self.refusals.push({ path, status, reason });
      return answer(status, { error: { code: reason, message: reason } });
    };
    // Teams answers an oversize message 400 (MessageSizeTooBig) and it is lost.
    if (Buffer.byteLength(body, 'utf8') > MESSAGE_LIMIT_BYTES) {
      return refuse(400, 'MessageSizeTooBig');
    }
    const parts = path.slice('/teams/v3/'.length).split('/').map(decodeURIComponent);
    type Sent = {
      type?: string;
      text?: string;
      attachments?: Array<{ content?: unknown; contentType?: unknown }>;
    };
    // An activity with neither text nor an attachment is refused (400 BadArgument): Teams
    // cannot post an empty message.
    const empty = (a: Sent | undefined) =>
      !a || ((a.text ?? '') === '' && (a.attachments ?? []).length === 0);
    const activity = () => JSON.parse(body) as Sent;
    const cardIn = (a: Sent) => a.attachments?.[0]?.content;
    const typeIn = (a: Sent) => a.attachments?.[0]?.contentType;
    if (req.method === 'POST' && parts.length === 1 && parts[0] === 'conversations') {
      const params = JSON.parse(body) as {
        isGroup?: boolean;
        channelData?: { channel?: { id?: string } };
        members?: Array<{ id?: string }>;
        activity?: Sent;
      };
      const channel = params.channelData?.channel?.id;
      if (params.activity !== undefined && empty(params.activity)) {
        return refuse(400, 'BadArgument: empty activity');
      }
      if (params.isGroup && channel) {
        if (!self.installations.has(channel)) return refuse(403, 'BotNotInConversationRoster');
        if (empty(params.activity)) return refuse(400, 'BadArgument: no message');
        const activityId = String(++seq);
        const conversationId = `${channel};messageid=${activityId}`;
        conversations.add(conversationId);
        self.posts.push({
          kind: 'channel',
          target: channel,
          conversationId,
          activityId,
          contentType: typeIn(params.activity ?? {}),
          card: cardIn(params.activity ?? {}),
        });
        return answer(201, { id: conversationId, activityId, serviceUrl: self.serviceUrl });
      }
      const member = params.members?.[0]?.id;
      if (!member) return answer(400, { error: { code: 'BadArgument' } });
      if (!self.installations.has(member)) return refuse(403, 'BotNotInConversationRoster');
      const conversationId = `a:dm-${member}`;
      conversations.add(conversationId);
      return answer(201, { id: conversationId });
    }
    if (parts[0] === 'conversations' && parts[2] === 'activities') {
      const conversationId = parts[1];
      if (!conversations.has(conversationId)) return answer(404, { error: { code: 'NotFound' } });
      if (req.method === 'POST' && parts.length === 3) {
        const sent = activity();
        if (empty(sent)) return refuse(400, 'BadArgument: empty activity');
        const activityId = String(++seq);
        self.posts.push({
          kind: 'dm',
          target: conversationId.replace(/^a:dm-/, ''),
          conversationId,
          activityId,
          contentType: typeIn(sent),
          card: cardIn(sent),
        });
        return answer(201, { id: activityId });
      }
      if (req.method === 'PUT' && parts.length === 4) {
        const activityId = parts[3];
        if (
          !self.posts.some(
            (p) => p.conversationId === conversationId && p.activityId === activityId,
          )
        ) {
          return answer(404, { error: { code: 'NotFound' } });
        }
        const sent = activity();
        if (empty(sent)) return refuse(400, 'BadArgument: empty activity');
        self.updates.push({ conversationId, activityId, card: cardIn(sent) });
        return answer(200, { id: activityId });
      }
    }
    if (req.method === 'GET' && parts[0] === 'conversations' && parts[2] === 'members') {
      // The roster of a team, or of a personal chat the bot has; a channel thread's id
      // (`19:…;messageid=…`) is not a roster Teams answers for.
      const roster = self.teams.get(parts[1]);
      if (!roster && !conversations.has(parts[1])) return refuse(404, 'ConversationNotFound');
      if (roster && !roster.has(parts[3])) return refuse(404, 'MemberNotFound');
      const member = self.members.get(parts[3]);
      return member
        ? answer(200, { id: parts[3], ...member })
        : answer(404, { error: { code: 'NotFound' } });
    }
    return answer(404, { error: { code: 'NotFound' } });
  }

  const self: FakeBotFramework = {
    url,
    serviceUrl: `${url}/teams/`,
    inboundServiceUrl: `${url}/amer/`,
    installations: new Set(),
    teams: new Map(),
    refusals: [],
    metadataUrl: `${url}/openid`,
    tokenUrl: `${url}/${TENANT_ID}/oauth2/v2.0/token`,
    connector: 'ok',
    metadataUp: true,
    posts: [],
    updates: [],
    calls: [],
    members: new Map(),
    cardOf(post) {
      const last = self.updates.filter(
        (u) => u.conversationId === post.conversationId && u.activityId === post.activityId,
      );
      return last.length > 0 ? last[last.length - 1].card : post.card;
    },
    async sign(options = {}) {
      const key = options.key === 'rogue' ? rogue : options.key === 'skype' ? skype : good;
      const kid = options.key === 'skype' ? 'bf-key-skype' : 'bf-key-1';
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {};
      const serviceUrl =
        options.serviceUrl === undefined ? self.inboundServiceUrl : options.serviceUrl;
      if (serviceUrl !== null) claims.serviceurl = serviceUrl;
      const expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(options.iss ?? ISSUER)
        .setAudience(options.aud ?? APP_ID)
        .setNotBefore(now - 60 + Math.min(0, expiresIn ?? 0))
        .setIssuedAt(now - 60 + Math.min(0, expiresIn ?? 0));
      if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
      return jwt.sign(key.privateKey);
    },
    release() {
      for (const res of hanging.splice(0)) json(res, 503, { error: 'released' });
    },
    async close() {
      self.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return self;
}

type TestKey = { privateKey: CryptoKey; jwk: JWK };
let keys: Promise<TestKey[]> | undefined;

/** RSA key generation is slow (~0.5 s a key): one set per test process. */
function testKeys(): Promise<TestKey[]> {
  keys ??= Promise.all(
    [0, 1, 2].map(async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      return { privateKey, jwk: await exportJWK(publicKey) };
    }),
  );
  return keys;
}
