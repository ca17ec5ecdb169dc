import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, base64url } from 'jose';
import { CountersignError } from '@countersign/core';
import { TeamsJwtValidator } from './teams-jwt.js';
import { OpenIdKeys } from './teams-openid-keys.js';
import { TeamsTokenSource } from './teams-token-source.js';
import {
  APP_ID,
  APP_PASSWORD,
  ISSUER,
  startFakeBotFramework,
  type FakeBotFramework,
} from '../../../test/fake-teams/fake-bot-framework.js';

describe('Teams authentication pieces', () => {
  let fake: FakeBotFramework;
  before(async () => {
    fake = await startFakeBotFramework();
  });
  after(() => fake.close());

  const validator = () =>
    new TeamsJwtValidator(new OpenIdKeys(fake.metadataUrl), { appId: APP_ID, issuer: ISSUER });
  const reason = async (header: string) => {
    try {
      await validator().verify(header);
    } catch (e) {
      assert.ok(e instanceof CountersignError);
      assert.equal(e.code, 'invalid_signature');
      return e.extra.reason;
    }
    assert.fail('expected a refusal');
  };

  test('algorithm confusion: HS256 with the public key as secret, and alg none, are refused', async () => {
    const keys = (await (await fetch(`${fake.url}/keys`)).json()) as { keys: Array<{ n: string }> };
    const hs = await new SignJWT({ serviceurl: fake.serviceUrl })
      .setProtectedHeader({ alg: 'HS256', kid: 'bf-key-1' })
      .setIssuer(ISSUER)
      .setAudience(APP_ID)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(keys.keys[0].n));
    assert.equal(await reason(`Bearer ${hs}`), 'algorithm');
    const none = [
      base64url.encode(JSON.stringify({ alg: 'none', kid: 'bf-key-1' })),
      base64url.encode(JSON.stringify({ iss: ISSUER, aud: APP_ID, exp: 9_999_999_999 })),
      '',
    ].join('.');
    assert.equal(await reason(`Bearer ${none}`), 'malformed');
  });

  test('a token without exp is refused; a token for a good key verifies with its endorsements', async () => {
    assert.equal(await reason(`Bearer ${await fake.sign({ expiresIn: null })}`), 'claims');
    const verified = await validator().verify(`Bearer ${await fake.sign()}`);
    assert.deepEqual(verified.endorsements, ['msteams', 'webchat']);
    assert.equal(verified.claims.serviceurl, fake.inboundServiceUrl);
  });

  test("the bot's token: cached, and Entra's refusal named without the secret", async () => {
    const tokens = new TeamsTokenSource({
      tokenUrl: fake.tokenUrl,
      appId: APP_ID,
      appPassword: APP_PASSWORD,
    });
    const first = await tokens.token();
    assert.equal(await tokens.token(), first, 'cached');
    tokens.invalidate();
    assert.notEqual(await tokens.token(), first);
    const wrong = new TeamsTokenSource({
      tokenUrl: fake.tokenUrl,
      appId: APP_ID,
      appPassword: 'wrong-secret',
    });
    await assert.rejects(wrong.token(), (e: Error) => {
      assert.match(e.message, /HTTP 401 \(invalid_client\)/);
      assert.ok(!e.message.includes('wrong-secret'));
      return true;
    });
  });
});
