import { readFileSync } from 'node:fs';
import {
  CountersignError,
  DEFAULT_ENVIRONMENT,
  actionDigest,
  explainDecision,
  isJsonObject,
  runPolicyTests,
  type JsonObject,
} from '@countersign/core';
import { PolicyStore, loadConfig, type GatewayConfig } from '@countersign/server';
import { EXIT } from '../cli-error.js';

function open(configFile: string): { config: GatewayConfig; store: PolicyStore } {
  const config = loadConfig(configFile);
  return { config, store: PolicyStore.open(config.policyFile, config.directory) };
}

/** `policy check`: loads the policy against the directory; errors name file:line. */
export function policyCheck(options: { config: string }): number {
  const { store } = open(options.config);
  const p = store.current;
  process.stdout.write(`ok: ${store.file}\n  version ${p.version}\n  ${p.rules.length} rules\n`);
  return EXIT.ok;
}

/** `policy test cases.yaml`: non-zero exit on any mismatch. */
export function policyTest(casesFile: string, options: { config: string }): number {
  const { store } = open(options.config);
  const result = runPolicyTests(store.current, readFileSync(casesFile, 'utf8'), casesFile);
  for (const f of result.failed) {
    process.stdout.write(
      `FAIL ${f.name}\n  expected ${JSON.stringify(f.expected)}\n  actual   ${JSON.stringify(f.actual)}\n`,
    );
  }
  process.stdout.write(`${result.passed} passed, ${result.failed.length} failed\n`);
  return result.failed.length === 0 ? EXIT.ok : EXIT.failed;
}

/** `policy explain request.json` (or `-` for stdin): the decision and why, nothing recorded. */
export function policyExplain(
  requestFile: string,
  options: { config: string; agent?: string; json?: boolean },
): number {
  const { config, store } = open(options.config);
  const text = readFileSync(requestFile === '-' ? 0 : requestFile, 'utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new CountersignError('malformed_json', `${requestFile}: ${(e as Error).message}`);
  }
  if (!isJsonObject(body) || typeof body.action !== 'string' || typeof body.resource !== 'string') {
    throw new CountersignError(
      'invalid_request',
      `${requestFile}: expected {"action": …, "resource": …}`,
    );
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const agentId = options.agent ?? str(body.agent) ?? 'anonymous';
  const spec = {
    action: body.action,
    resource: body.resource,
    environment: str(body.environment) ?? DEFAULT_ENVIRONMENT,
    params: isJsonObject(body.params) ? body.params : ({} as JsonObject),
  };
  const decision = store.current.evaluate({
    ...spec,
    justification: str(body.justification),
    on_behalf_of: str(body.on_behalf_of),
    context: isJsonObject(body.context) ? body.context : undefined,
    agent: { id: agentId, owners: config.directory.agent(agentId)?.owners ?? [] },
  });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ...decision, digest: actionDigest(spec) }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${explainDecision(decision)}\n  digest: ${actionDigest(spec)}\n`);
  }
  return EXIT.ok;
}
