#!/usr/bin/env node
import { Command } from 'commander';
import { actionsList, actionsShow, actionsVote } from './commands/actions.js';
import { init } from './commands/init.js';
import { policyCheck, policyExplain, policyTest } from './commands/policy.js';
import { serve } from './commands/serve.js';
import { tokenCreate, tokenList, tokenRevoke } from './commands/token.js';
import { keysList, keysRotate } from './commands/keys.js';
import { reportSoc2 } from './commands/report.js';
import { auditCheckpoint, auditExport, auditVerify } from './commands/audit.js';
import { EXIT, reportError } from './cli-error.js';

const defaultConfig = process.env.COUNTERSIGN_CONFIG ?? 'countersign.yaml';

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
  .action(
    (o: { config: string; demo?: boolean }) =>
      // serve keeps running; only start-up errors end up here
      void serve(o).catch((e: unknown) => {
        process.exit(reportError(e));
      }),
  );

program
  .command('init')
  .description('write a commented starter countersign.yaml and policy.yaml')
  .option('-d, --dir <dir>', 'where to write them', '.')
  .option('-f, --force', 'overwrite existing files')
  .action(
    run((o: { dir: string; force?: boolean }) => {
      for (const f of init(o)) process.stdout.write(`wrote ${f}\n`);
    }),
  );

const policy = program.command('policy').description('check, test and explain the policy');
policy
  .command('check')
  .description('load the policy against the directory; errors name file:line')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(policyCheck));
policy
  .command('test <cases>')
  .description('run expected-decision cases (YAML); exits 1 on any mismatch')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(policyTest));
policy
  .command('explain <request>')
  .description('explain the decision for a request JSON file (- for stdin); records nothing')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>', 'evaluate as this agent')
  .option('--json', 'machine-readable output')
  .action(run(policyExplain));

const token = program.command('token').description('create, list and revoke API tokens');
token
  .command('create')
  .description('create a token (printed once on stdout)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>', 'an agent token (may submit actions; never review)')
  .option('--user <id>', 'a user token (may review; admins also administer)')
  .option('--label <text>', 'a note to recognise the token by')
  .option('--ttl <duration>', 'expiry, e.g. 90d')
  .action(run(tokenCreate));
token
  .command('revoke [id]')
  .description('revoke a token by id, or all tokens of --agent/--user')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--agent <id>')
  .option('--user <id>')
  .action(run(tokenRevoke));
token
  .command('list')
  .description('list tokens (never their secrets)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(tokenList));

const keys = program.command('keys').description('grant signing keys (docs/grants.md)');
keys
  .command('rotate')
  .description('make a new active signing key; the old one stays published until its grants expire')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(keysRotate));
keys
  .command('list')
  .description('every signing key: kid, created, retired, state (never private keys)')
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .option('--json', 'machine-readable output')
  .action(run(keysList));

const report = program.command('report').description('compliance evidence from the store');
report
  .command('soc2')
  .description('SOC 2 evidence for a period: self-contained HTML (--out), JSON (--json on stdout)')
  .requiredOption('--from <date>', 'first day, YYYY-MM-DD (UTC)')
  .requiredOption('--to <date>', 'last day, YYYY-MM-DD (UTC), included')
  .option('-o, --out <file>', 'write the HTML report here')
  .option('--json', 'print the same content as JSON on stdout')
  .option('--key <vkey>', "verify the audit log with this verifier key (default: the gateway's)")
  .option('-c, --config <file>', 'configuration file', defaultConfig)
  .action(run(reportSoc2));

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
).action(run(actionsList));
for (const vote of ['approve', 'deny'] as const) {
  apiFlags(
    actions
      .command(`${vote} <id>`)
      .description(`${vote} a request`)
      .option('-m, --comment <text>', 'shown to the agent and the other reviewers')
      .option('--break-glass', 'force-approve (only users a rule names); needs --comment'),
  ).action(
    run((id: string, o: { url?: string; token?: string; comment?: string; breakGlass?: boolean }) =>
      actionsVote(vote, id, o),
    ),
  );
}
apiFlags(actions.command('show <id>').description('the full record')).action(run(actionsShow));

const audit = program
  .command('audit')
  .description('export and verify the audit log (docs/audit.md)');
const collect = (value: string, previous: string[] = []) => [...previous, value];
apiFlags(
  audit
    .command('export')
    .description('write the log (entries, checkpoints, key) to a directory, checking it as it goes')
    .requiredOption('-o, --out <dir>', 'export directory (must be empty unless --force)')
    .option('-f, --force', 'overwrite an earlier export in <dir>'),
).action(run(auditExport));
apiFlags(
  audit
    .command('verify <source>')
    .description('verify an export directory or a gateway URL; exit 1 naming the first bad entry')
    .option('--key <vkey>', 'the log verifier key, or a file of keys (repeatable)', collect)
    .option('--since <file>', 'an older checkpoint you kept: the log must only have grown')
    .option('--json', 'print the result as JSON'),
).action(run(auditVerify));
apiFlags(audit.command('checkpoint').description('print the latest signed checkpoint')).action(
  run(auditCheckpoint),
);

await program.parseAsync(process.argv);
