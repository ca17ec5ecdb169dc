import { createPublicKey, type KeyObject } from 'node:crypto';
import { CountersignError } from '@countersign/core';
import {
  SIGNING_KEY_ENV,
  generateSigningKey,
  privateJwkText,
  signingKeyFromStoredJwk,
  signingKeyFromText,
  type Ed25519PublicJwk,
  type SigningKeyMaterial,
} from './signing-key.js';
import type { SigningKeyRepository, SigningKeyRow } from '../storage/signing-key-repository.js';

/**
 * How long a gateway may go on using the key it loaded: other replicas learn of a rotation
 * within this time. A retired key stays published this much longer than the grant TTL, so a
 * grant signed by a replica that had not yet noticed the rotation still verifies offline.
 */
export const KEY_REFRESH_MS = 30_000;

/** One entry of `/.well-known/jwks.json` (RFC 7517 §4, RFC 8037 §2). */
export interface PublicJwk extends Ed25519PublicJwk {
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface KeyInfo {
  kid: string;
  created_at: number;
  retired_at: number | null;
  active: boolean;
  /** Whether the JWKS lists it now (active, or retired less than TTL + refresh ago). */
  published: boolean;
  /** Until when a retired key stays published. */
  published_until: number | null;
  /** The private key lives in the store (false: supplied through the environment). */
  private_key_stored: boolean;
}

export interface KeyRingOptions {
  repo: SigningKeyRepository;
  /** The grant TTL: how long a retired key must stay verifiable. */
  ttlMs: number;
  /** An operator-supplied private key (JWK or PKCS#8 PEM), from COUNTERSIGN_GRANT_SIGNING_KEY. */
  suppliedKey?: string | undefined;
  now?: () => number;
}

interface Loaded {
  activeKid: string | undefined;
  rows: SigningKeyRow[];
  at: number;
}

/**
 * The grant signing keys: the active one signs, the active and recently retired ones verify.
 * A cache over `signing_keys`, re-read every KEY_REFRESH_MS and whenever a grant names a kid it
 * has not seen, so rotations by another replica or by `countersign keys rotate` are picked up.
 */
export class KeyRing {
  readonly #now: () => number;
  #loaded: Loaded = { activeKid: undefined, rows: [], at: Number.NEGATIVE_INFINITY };
  #loading: Promise<Loaded> | undefined;
  #supplied: SigningKeyMaterial | undefined;
  readonly #privateKeys = new Map<string, Promise<SigningKeyMaterial>>();
  readonly #publicKeys = new Map<string, KeyObject>();

  constructor(private readonly options: KeyRingOptions) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * Opens the ring for a gateway: makes sure a key is active (the supplied one, or a generated
   * one on first start) and that this process can sign with it. Fails at start, not at the
   * first approval, when it cannot.
   */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options);
    const { repo, suppliedKey } = options;
    if (suppliedKey !== undefined && suppliedKey.trim() !== '') {
      const key = await signingKeyFromText(suppliedKey);
      ring.#supplied = key;
      // Only the public half is stored: the private key stays with the operator's secret store.
      await repo.activate(ring.#row(key, null), 'force');
    } else if ((await repo.activeKid()) === undefined) {
      const key = await generateSigningKey();
      await repo.activate(ring.#row(key, privateJwkText(key)), 'if_none');
    }
    await ring.refresh();
    await ring.signer();
    return ring;
  }

  /**
   * Re-reads the keys from the store now. Inside a write transaction (a grant is signed as
   * the approval that earns it commits) the read goes through that transaction, and never
   * joins a refresh started outside it: that one waits for the connection the transaction
   * holds, which on SQLite (one connection) was a deadlock that hung the gateway.
   */
  async refresh(): Promise<void> {
    if (this.options.repo.readsInTransaction()) {
      await this.#read();
      return;
    }
    this.#loading ??= (async () => {
      try {
        return await this.#read();
      } finally {
        this.#loading = undefined;
      }
    })();
    await this.#loading;
  }

  async #read(): Promise<Loaded> {
    // The pointer first: the row it names was committed with it, so the list read after it
    // always contains the active key.
    const activeKid = await this.options.repo.activeKid();
    const rows = await this.options.repo.list();
    this.#loaded = { activeKid, rows, at: this.#now() };
    return this.#loaded;
  }

  /** The active key with its private half, to sign a grant. */
  async signer(): Promise<SigningKeyMaterial> {
    await this.#fresh();
    const { activeKid, rows } = this.#loaded;
    const row = rows.find((r) => r.kid === activeKid);
    if (activeKid === undefined || row === undefined) {
      throw new CountersignError('config_invalid', 'no active grant signing key');
    }
    if (this.#supplied?.kid === activeKid) return this.#supplied;
    if (row.private_jwk === null) {
      // Fail closed: better no grant (the approval does not happen) than one signed by a key
      // nobody can verify.
      throw new CountersignError(
        'config_invalid',
        `the active grant signing key ${activeKid} is supplied through ${SIGNING_KEY_ENV} on another gateway; set it here too`,
      );
    }
    let key = this.#privateKeys.get(activeKid);
    if (key === undefined) {
      key = signingKeyFromStoredJwk(row.private_jwk);
      this.#privateKeys.set(activeKid, key);
    }
    return key;
  }

  /**
   * The public key for `kid` if it is published now; undefined for a kid that is unknown,
   * or retired longer ago than a grant can live.
   */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    await this.#fresh();
    let row = this.#published().find((r) => r.kid === kid);
    // Perhaps another replica rotated a moment ago. The kid is attacker-chosen, so look up just
    // that one (a primary-key read) and re-read everything only when it really exists.
    if (row === undefined && (await this.options.repo.exists(kid))) {
      await this.refresh();
      row = this.#published().find((r) => r.kid === kid);
    }
    return row && this.#publicKey(row);
  }

  /** The JWK Set for `/.well-known/jwks.json`: the active key first, then retired ones. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    await this.#fresh();
    return {
      keys: this.#published().map((r) => ({
        ...publicJwk(r),
        kid: r.kid,
        alg: 'EdDSA' as const,
        use: 'sig' as const,
      })),
    };
  }

  /** Every key in the store, newest first, for `countersign keys list`. */
  async list(): Promise<KeyInfo[]> {
    await this.refresh();
    const published = new Set(this.#published().map((r) => r.kid));
    return [...this.#loaded.rows].reverse().map((r) => ({
      kid: r.kid,
      created_at: Number(r.created_at),
      retired_at: r.retired_at === null ? null : Number(r.retired_at),
      active: r.kid === this.#loaded.activeKid,
      published: published.has(r.kid),
      published_until: r.retired_at === null ? null : this.#publishedUntil(Number(r.retired_at)),
      private_key_stored: r.private_jwk !== null,
    }));
  }

  /**
   * Generates a new key, makes it active and retires the old one; the old one stays in the
   * JWKS until every grant it signed has expired. A key supplied through the environment is
   * rotated by supplying another one instead: a generated key would be replaced again at the
   * next start.
   */
  async rotate(): Promise<{ kid: string; retired: string | null }> {
    if (this.#supplied !== undefined || (this.options.suppliedKey ?? '').trim() !== '') {
      throw new CountersignError(
        'config_invalid',
        `the grant signing key comes from ${SIGNING_KEY_ENV}: rotate by setting a new key there and restarting`,
      );
    }
    await this.refresh();
    const { activeKid, rows } = this.#loaded;
    if (rows.find((r) => r.kid === activeKid)?.private_jwk === null) {
      throw new CountersignError(
        'config_invalid',
        `the active grant signing key is supplied through ${SIGNING_KEY_ENV}: rotate by setting a new key there and restarting every gateway`,
      );
    }
    const key = await generateSigningKey();
    const result = await this.options.repo.activate(
      this.#row(key, privateJwkText(key)),
      activeKid === undefined ? 'if_none' : { replacing: activeKid },
    );
    await this.refresh();
    if (result.outcome !== 'activated') {
      throw new CountersignError(
        'invalid_transition',
        `the keys were rotated concurrently; the active key is now ${result.kid}`,
      );
    }
    return { kid: result.kid, retired: result.retired };
  }

  async #fresh(): Promise<void> {
    if (this.#now() - this.#loaded.at >= KEY_REFRESH_MS) await this.refresh();
  }

  #publishedUntil(retiredAt: number): number {
    return retiredAt + this.options.ttlMs + KEY_REFRESH_MS;
  }

  /** Active first, then retired keys still within TTL + refresh of their retirement. */
  #published(): SigningKeyRow[] {
    const { activeKid, rows } = this.#loaded;
    const now = this.#now();
    const active = rows.filter((r) => r.kid === activeKid);
    const retired = rows
      .filter(
        (r) =>
          r.kid !== activeKid &&
          r.retired_at !== null &&
          this.#publishedUntil(Number(r.retired_at)) > now,
      )
      .sort((a, b) => Number(b.retired_at) - Number(a.retired_at));
    return [...active, ...retired];
  }

  #publicKey(row: SigningKeyRow): KeyObject {
    let key = this.#publicKeys.get(row.kid);
    if (key === undefined) {
      key = createPublicKey({ key: { ...publicJwk(row) }, format: 'jwk' });
      this.#publicKeys.set(row.kid, key);
    }
    return key;
  }

  #row(key: SigningKeyMaterial, privateJwk: string | null): SigningKeyRow {
    return {
      kid: key.kid,
      algorithm: 'EdDSA',
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk: privateJwk,
      created_at: this.#now(),
      retired_at: null,
    };
  }
}

/** The stored public JWK, reduced to the members RFC 8037 defines for an Ed25519 key. */
function publicJwk(row: SigningKeyRow): Ed25519PublicJwk {
  const jwk = JSON.parse(row.public_jwk) as Partial<Ed25519PublicJwk>;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new CountersignError('internal', `signing key ${row.kid} is not an Ed25519 public key`);
  }
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}
