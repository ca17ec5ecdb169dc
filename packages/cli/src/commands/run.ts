import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CountersignError } from '@countersign/core';
import type { RunReport } from '@countersign/sdk';
import { terminalSafe as safe } from '../terminal-text.js';
import { AGENT_EXIT, actionSpec, agentClient, agentFailure, type ActionFlags } from './request.js';

/** How the wrapped command ended. */
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The command could not be started at all (not found, not executable). */
class SpawnFailed extends Error {}

/**
 * `countersign run --action A --resource R [--param k=v …] -- <cmd…>`: asks the gateway,
 * waits, and runs the command only if approved, with the grant in `COUNTERSIGN_GRANT` and the
 * request id in `COUNTERSIGN_REQUEST_ID`. Its exit code is reported (`completed` for 0,
 * `failed` otherwise) and becomes ours. Refused (denied, expired, cancelled): exit 3, the
 * reason on stderr, the command not run. Gateway unreachable: exit 4, not run (fail closed).
 */
export async function runCommand(command: string[], flags: ActionFlags): Promise<number> {
  const [file, ...args] = command;
  if (!file) throw new CountersignError('invalid_request', 'give the command after --');
  const cs = agentClient(flags);
  const waiting = new AbortController();
  let child: ReturnType<typeof spawn> | undefined;
  // While waiting, a signal withdraws the request; once the command runs, it goes to the command.
  const onSignal = (signal: NodeJS.Signals) => {
    if (child) child.kill(signal);
    else waiting.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const exit = await cs.guard(
      actionSpec(flags),
      ({ grant, record }) =>
        new Promise<Exit>((resolve, reject) => {
          child = spawn(file, args, {
            stdio: 'inherit',
            env: { ...process.env, COUNTERSIGN_GRANT: grant, COUNTERSIGN_REQUEST_ID: record.id },
          });
          child.once('error', (e) => reject(new SpawnFailed(`cannot run ${file}: ${e.message}`)));
          child.once('exit', (code, signal) => resolve({ code, signal }));
        }),
      {
        signal: waiting.signal,
        ...(flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey }),
        onProgress: (r) =>
          process.stderr.write(`countersign: waiting: ${safe(r.reason)} (${safe(r.id)})\n`),
        report: reportOf,
      },
    );
    return exitCodeOf(exit);
  } catch (e) {
    if (waiting.signal.aborted) {
      process.stderr.write('countersign: interrupted; the request was cancelled\n');
      return AGENT_EXIT.interrupted;
    }
    if (e instanceof SpawnFailed) {
      process.stderr.write(`countersign: ${safe(e.message)}\n`);
      return 127; // as a shell reports a command it cannot run
    }
    return agentFailure(e);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportOf(exit: Exit): RunReport {
  const detail = { exit_code: exit.code, signal: exit.signal };
  return exit.code === 0 ? { outcome: 'completed', detail } : { outcome: 'failed', detail };
}

/** The shell convention: the code, or 128 + the signal number when a signal ended it. */
function exitCodeOf(exit: Exit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0);
}
