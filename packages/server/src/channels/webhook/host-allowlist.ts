/**
 * Which hosts a per-request `callback_url` may name. The URL is supplied by the agent, so it
 * is attacker-influenced: without a list, a compromised or prompt-injected agent could make
 * the gateway POST to cloud metadata (http://169.254.169.254/), to admin ports on localhost
 * or to anything else inside the network (SSRF, OWASP A10:2021). The default list is empty:
 * no callback is ever sent until an operator names the hosts.
 *
 * Patterns: `host`, `*.domain` (any name below `domain`, not `domain` itself), or `*` (any
 * host; use only when the network itself is locked down), each optionally with `:port`.
 * Matching is on the URL's host as the WHATWG URL parser normalises it, so `0x7f.1` and
 * `2130706433` are compared as `127.0.0.1` and case or trailing tricks do not slip past.
 * A name is checked, not the address it resolves to: list only names whose DNS you control.
 *
 * @example
 * const list = HostAllowlist.parse(['hooks.example.com', '*.agents.internal:8443']);
 * list.refusal('https://hooks.example.com/cb'); // undefined: allowed
 * list.refusal('http://169.254.169.254/');      // 'callback host "169.254.169.254" is not …'
 */
export class HostAllowlist {
  private constructor(private readonly patterns: readonly HostPattern[]) {}

  /** Throws an `Error` naming the first bad pattern. */
  static parse(patterns: readonly string[]): HostAllowlist {
    return new HostAllowlist(patterns.map(parsePattern));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Why this URL must not be called, or undefined when it may. */
  refusal(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'callback_url is not a valid URL';
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      return `callback_url scheme ${parsed.protocol} is not allowed (http or https only)`;
    }
    if (parsed.username || parsed.password) {
      return 'callback_url must not carry credentials';
    }
    const host = parsed.hostname;
    const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
    if (this.patterns.some((p) => p.matches(host, port))) return undefined;
    return this.patterns.length === 0
      ? 'callbacks are disabled: webhooks.callback.allowed_hosts is empty'
      : `callback host "${host}" is not in webhooks.callback.allowed_hosts`;
  }
}

interface HostPattern {
  matches(host: string, port: number): boolean;
}

// host part: `*`, `*.name`, a bracketed IPv6 literal, or a name/IPv4; then an optional port.
const PATTERN = /^(\*|\*\.[^\s/:*?#@[\]]+|\[[0-9A-Fa-f:.]+\]|[^\s/:*?#@[\]]+)(?::(\d{1,5}))?$/;

function parsePattern(pattern: string): HostPattern {
  const m = PATTERN.exec(pattern.trim());
  const port = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) {
    throw new Error(`"${pattern}" is not a host pattern (host, *.domain or *, optional :port)`);
  }
  const portOk = (p: number) => port === undefined || p === port;
  const hostPart = m[1];
  if (hostPart === '*') return { matches: (_h, p) => portOk(p) };
  if (hostPart.startsWith('*.')) {
    const suffix = `.${normalise(hostPart.slice(2), pattern)}`;
    return { matches: (h, p) => h.endsWith(suffix) && portOk(p) };
  }
  const exact = normalise(hostPart, pattern);
  return { matches: (h, p) => h === exact && portOk(p) };
}

/** The host as the URL parser would see it in a callback_url, so both sides compare alike. */
function normalise(host: string, pattern: string): string {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    throw new Error(`"${pattern}" is not a valid host`);
  }
}
