#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { McpProxyFlags } from './commands/mcp-proxy.js';
import type { VoteFlags } from './commands/actions.js';
import { EXIT, reportError } from './cli-error.js';
import { defaultConfigFile } from './default-config-file.js';

const defaultConfig = defaultConfigFile();

/**
 * A command's code is loaded only when that command runs: `hook claude-code` and `mcp-proxy`
 * start once per tool call, and must not pay for the gateway, the store and every other command.
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  type F = M[K] extends (...args: infer A) => infer R ? (...args: A) => R : never;
  return async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    const f = (await load())[name] as F;
    // An async function flattens a returned promise: sync and async commands both fit.
    return f(...args) as Awaited<ReturnType<F>>;
  };
}

/** Runs an action and turns its outcome into the process exit code. */
const run =
  <A extends unknown[]>(f: (...args: A) => unknown) =>
  async (...args: A) => {
    try {
      const code = await f(...args);
      process.exitCode = typeof code === 'number' ? code : EXIT.ok;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };

const program = new Command()
  .name('countersign')
  .description('Human countersignature for the privileged actions of AI agents')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the gateway')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--demo', 'embedded demo: SQLite in ./.countersign, demo users, agents and policy')
  .option('--reset', 'with --demo: revoke the tokens earlier demo starts printed')
  .option(
    '--accept-config-change',
    "record this replica's public_url and keys as the store's, where they differ from the first replica's",
  )
  .action(
    (o: { config: string; demo?: boolean; reset?: boolean; acceptConfigChange?: boolean }) =>
      // serve keeps running; only start-up errors end up here
      void lazy(
        () => import('./commands/serve.js'),
        'serve',
      )(o).catch((e: unknown) => {
        process.exit(reportError(e));
      }),
  );

program
  .command('init')
  .description('write a commented starter countersign.yaml and policy.yaml')
  .option('-d, --dir <dir>', 'where to write them', '.')
  .option('-f, --force', 'overwrite existing files')
  .action(
    run(async (o: { dir: string; force?: boolean }) => {
      const written = await lazy(() => import('./commands/init.js'), 'init')(o);
      for (const f of written) process.stdout.write(`wrote ${f}\n`);
    }),
  );

const policy = program
  .command('policy')
  .description('check, test, explain, replay the policy and suggest edits to it');
policy
  .command('check')
  .description('load the policy against the directory; errors name file:line')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(lazy(() => import('./commands/policy.js'), 'policyCheck')));
policy
  .command('test <cases>')
  .description('run expected-decision cases (YAML); exits 1 on any mismatch')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(lazy(() => import('./commands/policy.js'), 'policyTest')));
policy
  .command('explain <request>')
  .description('explain the decision for a request JSON file (- for stdin); records nothing')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>', 'evaluate as this agent')
  .option('--json', 'machine-readable output')
  .action(run(lazy(() => import('./commands/policy.js'), 'policyExplain')));
policy
  .command('replay <candidate>')
  .description('replay a candidate policy over the recorded requests; what would have changed')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--log <path>', 'an audit export directory or entries.jsonl (default: the store)')
  .option('--from <time>', 'requests submitted at or after this date or RFC 3339 time')
  .option('--to <time>', 'requests submitted before this date or RFC 3339 time')
  .option('--fail-on <kinds>', 'exit 1 on these changes: kinds, loosened, tightened or any')
  .option('--examples <n>', 'examples shown per kind of change', '3')
  .option('--json', 'machine-readable output')
  .action(run(lazy(() => import('./commands/policy-history.js'), 'policyReplay')));
policy
  .command('suggest')
  .description('suggest allows and denies from the approval history, as a diff; writes nothing')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--log <path>', 'an audit export directory or entries.jsonl (default: the store)')
  .option('--from <time>', 'requests submitted at or after this date or RFC 3339 time')
  .option('--to <time>', 'requests submitted before this date or RFC 3339 time')
  .option('--min-approvals <n>', 'approvals (or denials) a pattern needs', '5')
  .option('--json', 'machine-readable output')
  .action(run(lazy(() => import('./commands/policy-history.js'), 'policySuggest')));

const token = program.command('token').description('create, list and revoke API tokens');
token
  .command('create')
  .description('create a token (printed once on stdout)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>', 'an agent token (may submit actions; never review)')
  .option('--user <id>', 'a user token (may review; admins also administer)')
  .option('--label <text>', 'a note to recognise the token by')
  .option('--ttl <duration>', 'expiry, e.g. 90d')
  .action(run(lazy(() => import('./commands/token.js'), 'tokenCreate')));
token
  .command('revoke [id]')
  .description('revoke a token by id, or all tokens of --agent/--user')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>')
  .option('--user <id>')
  .action(run(lazy(() => import('./commands/token.js'), 'tokenRevoke')));
token
  .command('list')
  .description('list tokens (never their secrets)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(lazy(() => import('./commands/token.js'), 'tokenList')));

program
  .command('login-link')
  .description('a one-time web sign-in link for a user (printed on stdout); audited')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--user <id>', 'the directory user who signs in with it')
  .option('--ttl <duration>', 'how long it may wait to be used, 1m to 24h', '30m')
  .action(run(lazy(() => import('./commands/login-link.js'), 'loginLink')));

const keys = program.command('keys').description('grant signing keys (docs/grants.md)');
keys
  .command('rotate')
  .description('make a new active signing key; the old one stays published until its grants expire')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(lazy(() => import('./commands/keys.js'), 'keysRotate')));
keys
  .command('list')
  .description('every signing key: kid, created, retired, state (never private keys)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--json', 'machine-readable output')
  .action(run(lazy(() => import('./commands/keys.js'), 'keysList')));

const report = program.command('report').description('compliance evidence from the store');
report
  .command('soc2')
  .description('SOC 2 evidence for a period: self-contained HTML (--out), JSON (--json on stdout)')
  .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC)')
  .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC), included')
  .option('-o, --out <file>', 'write the HTML report here, and its signature to <file>.sig')
  .option('--json-out <file>', 'write the JSON report here, and its signature to <file>.sig')
  .option('--json', 'print the same content as JSON on stdout (unsigned)')
  .option(
    '--key <vkey>',
    'verify the audit log with this verifier key, obtained outside the gateway',
  )
  .option(
    '--accept-gateway-key',
    "verify the audit log with the gateway's own key instead (weaker)",
  )
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(lazy(() => import('./commands/report.js'), 'reportSoc2')));
report
  .command('verify <report>')
  .description(
    'check a signed report offline: its bytes, signature, checkpoint and (--log) figures',
  )
  .option('--signature <file>', 'the detached signature (default: <report>.sig)')
  .option('--key <vkey>', 'the log verifier key, obtained outside the gateway')
  .option('--accept-gateway-key', 'trust the key the export ships (<DIR>/log-key.pub) instead')
  .option(
    '--log <dir>',
    'an audit export (audit export --out DIR): verify it and recount the figures',
  )
  .action(run(lazy(() => import('./commands/report.js'), 'reportVerify')));

const actions = program.command('actions').description('review requests through the API');
const apiFlags = (c: Command) =>
  c
    .option('--url <url>', 'gateway URL (env COUNTERSIGN_URL)')
    .option('--token <token>', 'user token (env COUNTERSIGN_TOKEN)');
apiFlags(
  actions
    .command('list')
    .description('requests you may review (all for admins)')
    .option('--status <status>', 'pending, approved, denied, expired, cancelled, completed, failed')
    .option('--agent <id>')
    .option('--action <type>')
    .option('--limit <n>')
    .option('--break-glass', 'only break-glass approvals, for review afterwards')
    .option('--json'),
).action(run(lazy(() => import('./commands/actions.js'), 'actionsList')));
for (const vote of ['approve', 'deny'] as const) {
  apiFlags(
    actions
      .command(`${vote} <id>`)
      .description(`${vote} a request`)
      .option('-m, --comment <text>', 'shown to the agent and the other reviewers')
      .option('--break-glass', 'force-approve (only users a rule names); needs --comment'),
  );
}
for (const c of actions.commands.filter((c) => c.name() === 'approve' || c.name() === 'deny')) {
  const vote = c.name() as 'approve' | 'deny';
  if (vote === 'approve') {
    c.option('--standing-uses <n>', 'also approve this exact action N more times (docs/fatigue.md)')
      .option('--standing-when <cel>', 'also approve requests this CEL condition accepts…')
      .option('--standing-for <duration>', '…for this long (e.g. 4h), at most the policy allows')
      .option('--standing-max-uses <n>', '…at most this many times');
  }
  c.action(
    run((id: string, o: VoteFlags) =>
      lazy(() => import('./commands/actions.js'), 'actionsVote')(vote, id, o),
    ),
  );
}
apiFlags(
  actions
    .command('show <id>')
    .description('one request: what, who, why, params, votes, status, grant')
    .option('--json', 'the raw record'),
).action(run(lazy(() => import('./commands/actions.js'), 'actionsShow')));

const standing = program
  .command('standing')
  .description('standing approvals: approvals given ahead of time (docs/fatigue.md)');
apiFlags(
  standing
    .command('list')
    .description('active standing approvals you may see (all of them for admins and auditors)')
    .option('--all', 'every status: proposed, active, expired, exhausted, revoked')
    .option('--status <status>', 'active (default), proposed, expired, exhausted or revoked')
    .option('--agent <id>')
    .option('--json'),
).action(run(lazy(() => import('./commands/standing.js'), 'standingList')));
apiFlags(
  standing
    .command('show <id>')
    .description('one standing approval: scope, uses, endorsers, the requests it approved')
    .option('--json'),
).action(run(lazy(() => import('./commands/standing.js'), 'standingShow')));
apiFlags(
  standing
    .command('endorse <id>')
    .description('stand behind a proposed standing approval (a rule needing two needs two)'),
).action(run(lazy(() => import('./commands/standing.js'), 'standingEndorse')));
apiFlags(
  standing
    .command('revoke <id>')
    .description('revoke a standing approval at once')
    .option('--reason <text>'),
).action(run(lazy(() => import('./commands/standing.js'), 'standingRevoke')));

const audit = program
  .command('audit')
  .description('export and verify the audit log (docs/audit.md)');
const collect = (value: string, previous: string[] = []) => [...previous, value];
apiFlags(
  audit
    .command('export')
    .description(
      'write the log (entries, checkpoints, key) to a directory, checking it as it goes; ' +
        'or stream it as OCSF 1.9 events for a SIEM (--format ocsf, docs/ocsf.md)',
    )
    .option(
      '-o, --out <path>',
      'export directory (must be empty unless --force); with --format ocsf, a file (default: stdout)',
    )
    .option('-f, --force', 'overwrite an earlier export in <path>')
    .addOption(
      new Option('--format <format>', 'countersign: the verifiable directory; ocsf: NDJSON events')
        .choices(['countersign', 'ocsf'])
        .default('countersign'),
    )
    .option('--from <index>', 'ocsf: the first entry (resume after the last metadata.sequence)')
    .option('--to <index>', 'ocsf: stop before this entry (default: the latest checkpoint)')
    .option('--cosigned <n>', 'export up to the newest checkpoint n witnesses cosigned'),
).action(run(lazy(() => import('./commands/audit.js'), 'auditExport')));
apiFlags(
  audit
    .command('verify <source>')
    .description('verify an export directory or a gateway URL; exit 1 naming the first bad entry')
    .option('--key <vkey>', 'the log verifier key, or a file of keys (repeatable)', collect)
    .option('--since <file>', 'an older checkpoint you kept: the log must only have grown')
    .option('--json', 'print the result as JSON')
    .option('--witness <vkey>', 'a trusted witness key, or a file of keys (repeatable)', collect)
    .option('--witness-quorum <n>', 'witnesses that must have cosigned (default: all given)'),
).action(run(lazy(() => import('./commands/audit.js'), 'auditVerify')));
apiFlags(audit.command('checkpoint').description('print the latest signed checkpoint')).action(
  run(lazy(() => import('./commands/audit.js'), 'auditCheckpoint')),
);

const witness = program
  .command('witness')
  .description("run a C2SP tlog-witness that cosigns a log's checkpoints (docs/witness.md)");
witness
  .command('keygen <name>')
  .description('a new witness key: the secret to --out, the verifier key on stdout')
  .requiredOption('-o, --out <file>', 'where to write the secret key (mode 0600, not overwritten)')
  .action(run(lazy(() => import('./commands/witness.js'), 'witnessKeygen')));
witness
  .command('serve')
  .description('serve add-checkpoint for the given logs, keeping what it cosigned in --state')
  .requiredOption('--key <file>', 'the witness secret key file (from witness keygen)')
  .requiredOption('--log <vkey>', "a log's verifier key, or a file of keys (repeatable)", collect)
  .requiredOption('--state <file>', 'the state file (JSON, replaced atomically)')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on', '7380')
  .action(
    (o: { key: string; log: string[]; state: string; host: string; port: string }) =>
      // serve keeps running; only start-up errors end up here
      void lazy(
        () => import('./commands/witness.js'),
        'witnessServe',
      )(o).catch((e: unknown) => {
        process.exit(reportError(e));
      }),
  );

program
  .command('mcp-proxy')
  .description('wrap an MCP server: every tools/call asks the gateway first (docs/mcp.md)')
  .argument('[command...]', 'the upstream MCP server command, after --')
  .option('--name <server>', "action names are mcp.<server>.<tool> (default: the upstream's name)")
  .option('--url <url>', 'gateway URL (env COUNTERSIGN_URL)')
  .option('--token <token>', 'agent token (env COUNTERSIGN_TOKEN)')
  .option('--environment <env>', 'the environment of every request', 'default')
  .option('--on-behalf-of <user>', 'the person the agent acts for (they cannot approve)')
  .option('--upstream <url>', 'a Streamable HTTP MCP server instead of a command')
  .option('--header <header>', "'Name: value' for --upstream requests (repeatable)", collect)
  .option(
    '--state-secret <secret>',
    'signs MCP task ids and requestState (env COUNTERSIGN_MCP_STATE_SECRET; default: random)',
  )
  .option('--listen <host:port>', 'serve Streamable HTTP here instead of stdio (loopback only)')
  .option('--path <path>', 'the MCP endpoint path with --listen', '/mcp')
  .option(
    '--allow-origin <host>',
    'a browser Origin hostname --listen accepts (repeatable)',
    collect,
  )
  .option('--allow-remote', '--listen on a non-loopback address (put TLS and auth in front)')
  .action(
    (command: string[], o: McpProxyFlags) =>
      // stdin/stdout stay open for the session; exit explicitly once it is over.
      void lazy(() => import('./commands/mcp-proxy.js'), 'mcpProxy')(command, o).then(
        (code) => process.exit(code),
        (e: unknown) => process.exit(reportError(e)),
      ),
  );

/** The flags that say what an agent asks for (`request`, `run`). */
const actionFlags = (c: Command) =>
  c
    .requiredOption('--action <type>', 'dotted action type, e.g. db.export')
    .requiredOption('--resource <uri>', 'what it acts on, e.g. postgres://prod/customers')
    .option('--environment <env>', 'e.g. production (default: "default")')
    .option('--param <key=value>', 'a param; JSON values (rows=5) stay typed (repeatable)', collect)
    .option('--params-json <json>', 'params as one JSON object (--param entries override)')
    .option('--justification <text>', 'why: shown to the reviewers')
    .option('--risk <level>', 'low, medium, high or critical')
    .option('--on-behalf-of <user>', 'the person the agent acts for (they cannot approve)')
    .option('--idempotency-key <key>', 'resubmitting with the same key returns the same request')
    .option('--url <url>', 'gateway URL (env COUNTERSIGN_URL)')
    .option('--token <token>', 'agent token (env COUNTERSIGN_TOKEN)');
actionFlags(
  program
    .command('request')
    .description('ask for an action; with --wait, wait for the decision (exit 0 approved, 1 not)')
    .option('--wait', 'wait until a human decides (or the request expires)')
    .option('--timeout <seconds>', 'with --wait: stop waiting after this long (exit 1, pending)')
    .option('--json', 'print the record as JSON'),
).action(run(lazy(() => import('./commands/request.js'), 'requestCommand')));
actionFlags(
  program
    .command('run')
    .description(
      'ask, wait, run the command only if approved, report its exit code (exits with it)',
    )
    .argument('<command...>', 'the command, after --'),
).action(run(lazy(() => import('./commands/run.js'), 'runCommand')));
const hook = program.command('hook').description('approval hooks for coding agents');
hook
  .command('claude-code')
  .description(
    'Claude Code PreToolUse hook: hook JSON on stdin, the decision on stdout (docs/claude-code.md)',
  )
  .option('--wait <seconds>', 'how long to wait for a human before --on-pending', '20')
  .option(
    '--on-pending <ask|deny|defer>',
    'no decision in time: ask the user at the terminal, deny, or defer (claude -p: resume later)',
    'ask',
  )
  .option('--environment <env>', 'the environment of every request')
  .option('--resource <uri>', 'the resource of every request (default: the file, URL or cwd)')
  .option('--url <url>', 'gateway URL (env COUNTERSIGN_URL)')
  .option('--token <token>', 'agent token (env COUNTERSIGN_TOKEN)')
  .action(run(lazy(() => import('./commands/hook-claude-code.js'), 'hookClaudeCode')));

await program.parseAsync(process.argv);
