import type {
  ConnectorClient,
  HttpClient,
  HttpRequestConfig,
  HttpResponse,
} from '@microsoft/agents-hosting';
import type { ConversationParameters } from '@microsoft/agents-activity';
import type { TeamsTokenSource } from './teams-token-source.js';
import { loadTeamsSdk, type TeamsSdk } from './teams-sdk.js';

/** Where one card was posted: what a later update (PUT) needs. */
export interface PostedCard {
  conversation_id: string;
  activity_id: string;
}

/** What Teams tells us about a conversation member (TeamsChannelAccount). */
export interface TeamsMember {
  aadObjectId?: string | undefined;
  email?: string | undefined;
  userPrincipalName?: string | undefined;
  tenantId?: string | undefined;
  /** `user` or `guest` (TeamsChannelAccount.userRole); a guest never maps by email. */
  userRole?: string | undefined;
}

/** How a failed connector call should be treated by the caller. */
export interface ConnectorFailure {
  /** HTTP status, when the connector answered. */
  status: number | undefined;
  /** 429, 5xx, 401 (token), timeouts and network errors are worth another attempt. */
  retry: boolean;
  error: string;
}

/**
 * The Bot Connector REST API for this bot (https://learn.microsoft.com/azure/bot-service/
 * rest-api/bot-framework-rest-connector-api-reference), through the Agents SDK's
 * `ConnectorClient`. Every call carries the caller's `AbortSignal` (the SDK's own methods take
 * none, so its HTTP client is given one per call), and always goes to the configured service
 * URL: the bot's token is never sent to a URL taken from a request.
 */
export class TeamsConnector {
  constructor(
    private readonly settings: { serviceUrl: string; appId: string; tenantId: string },
    private readonly tokens: TeamsTokenSource,
  ) {}

  /**
   * Starts a new thread in a team channel with the card as its first post ("Create the
   * conversation", Teams proactive messaging): `isGroup` with `channelData.channel.id`.
   */
  async postToChannel(channelId: string, card: object, signal: AbortSignal): Promise<PostedCard> {
    const { sdk, client } = await this.client(signal);
    const res = await client.createConversation(
      this.parameters({
        isGroup: true,
        channelData: { channel: { id: channelId }, tenant: { id: this.settings.tenantId } },
        activity: message(sdk, card),
      }),
    );
    if (!res.id || !res.activityId) throw new Error('createConversation answered without ids');
    return { conversation_id: res.id, activity_id: res.activityId };
  }

  /**
   * A personal chat with one user, addressed by Entra object id (Teams accepts it in the
   * personal scope; it does not accept an email or UPN), then the card in it. The
   * conversation is created without an initial activity: `activity` is optional in
   * ConversationParameters (Bot Framework REST API, "Create Conversation"), and an empty one
   * (`{type: "message"}`, no text, no attachment) is posted blank or refused with 400, which
   * lost every DM.
   */
  async postToUser(aadObjectId: string, card: object, signal: AbortSignal): Promise<PostedCard> {
    const { sdk, client } = await this.client(signal);
    const conversation = await client.createConversation(
      this.parameters({
        isGroup: false,
        members: [{ id: aadObjectId }],
        tenantId: this.settings.tenantId,
        channelData: { tenant: { id: this.settings.tenantId } },
      }),
    );
    if (!conversation.id) throw new Error('createConversation answered without an id');
    const sent = await client.sendToConversation(conversation.id, message(sdk, card));
    if (!sent.id) throw new Error('sendToConversation answered without an activity id');
    return { conversation_id: conversation.id, activity_id: sent.id };
  }

  /** Replaces a posted card in place (PUT …/activities/{activityId}). */
  async updateCard(post: PostedCard, card: object, signal: AbortSignal): Promise<void> {
    const { sdk, client } = await this.client(signal);
    const activity = message(sdk, card);
    activity.id = post.activity_id;
    await client.updateActivity(post.conversation_id, post.activity_id, activity);
  }

  /**
   * One member of a conversation, with their email and UPN (GET …/members/{userId}). In a team
   * channel `conversationId` must be the team's id (`channelData.team.id`): a thread's
   * conversation id (`19:…;messageid=…`) is not a roster Teams answers for.
   */
  async member(conversationId: string, userId: string, signal: AbortSignal): Promise<TeamsMember> {
    const { client } = await this.client(signal);
    // The SDK types this as a plain ChannelAccount; Teams adds email and userPrincipalName.
    const raw = (await client.getConversationMember(userId, conversationId)) as unknown;
    const m = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
    return {
      aadObjectId: text(m.aadObjectId),
      email: text(m.email),
      userPrincipalName: text(m.userPrincipalName),
      tenantId: text(m.tenantId),
      userRole: text(m.userRole),
    };
  }

  /** Sorts a thrown error into retry or give up, and drops a token the connector refused. */
  failure(e: unknown): ConnectorFailure {
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number') {
      if (status === 401) this.tokens.invalidate();
      const retry = status === 401 || status === 408 || status === 429 || status >= 500;
      return { status, retry, error: `Bot Connector answered HTTP ${status}` };
    }
    return { status: undefined, retry: true, error: describe(e) };
  }

  private parameters(
    p: Omit<ConversationParameters, 'activity'> & { activity?: ConversationParameters['activity'] },
  ): ConversationParameters {
    // `bot` is the wire name of the SDK's `agent` (Bot Framework REST ConversationParameters).
    const bot = { id: `28:${this.settings.appId}` };
    // Without `activity` when there is none: never an empty message (see postToUser).
    return { ...p, bot } as ConversationParameters;
  }

  private async client(signal: AbortSignal): Promise<{ sdk: TeamsSdk; client: ConnectorClient }> {
    const sdk = await loadTeamsSdk();
    const token = await this.tokens.token();
    signal.throwIfAborted();
    const http = new (signalled(sdk.hosting.HttpClient))(
      {
        baseURL: this.settings.serviceUrl,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': 'Countersign-Teams/1',
        },
      },
      signal,
    );
    return { sdk, client: new (connector(sdk.hosting.ConnectorClient))(http) };
  }
}

/** A message activity carrying one Adaptive Card. */
function message(sdk: TeamsSdk, card: object) {
  return sdk.activity.Activity.fromObject({
    type: 'message',
    attachments: [sdk.hosting.CardFactory.adaptiveCard(card)],
  });
}

// The SDK's HttpClient with one AbortSignal applied to every request it makes.
function signalled(Base: typeof HttpClient) {
  return class SignalledHttpClient extends Base {
    constructor(
      options: ConstructorParameters<typeof HttpClient>[0],
      private readonly signal: AbortSignal,
    ) {
      super(options);
    }
    override request<T>(config: HttpRequestConfig): Promise<HttpResponse<T>> {
      return super.request<T>({ ...config, signal: this.signal });
    }
  };
}

// ConnectorClient's constructor is protected: its factories take a token, not an HttpClient.
function connector(Base: typeof ConnectorClient) {
  return class SignalledConnectorClient extends Base {
    constructor(http: HttpClient) {
      super(http);
    }
  };
}

/** undici hides the useful part (ECONNREFUSED, a timeout) in `cause`. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : undefined;
  return detail ? `${e.message}: ${detail}` : e.message;
}
