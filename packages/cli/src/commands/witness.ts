import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  CountersignError,
  Witness,
  generateCosignerKey,
  parseCosignerKey,
  parseNoteVerifierKey,
} from '@countersign/core';
import { startWitnessServer, witnessStateFile } from '@countersign/server';
import { EXIT } from '../cli-error.js';

/**
 * `witness keygen <name> --out FILE`: a new Ed25519 cosigner key (C2SP tlog-cosignature, key
 * type 0x04). The secret goes to FILE, created 0600 and never overwritten; the verifier key is
 * printed, for the log operator's `audit.witnesses` and for auditors' `--witness`.
 */
export function witnessKeygen(name: string, options: { out: string }) {
  let key: { signerKey: string; verifierKey: string };
  try {
    key = generateCosignerKey(name);
  } catch (e) {
    process.stderr.write(`countersign: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  try {
    writeFileSync(options.out, `${key.signerKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    process.stderr.write(`countersign: cannot create ${options.out}: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  process.stdout.write(`${key.verifierKey}\n`);
  return EXIT.ok;
}

/**
 * `witness serve`: a tlog-witness for the logs given with `--log`, on loopback by default.
 * Its state (per log, the latest checkpoint it cosigned) lives in `--state`, written
 * atomically before each answer; a state file it cannot read stops it rather than letting it
 * start afresh (which would let the log roll it back). Runs until SIGINT or SIGTERM.
 */
export async function witnessServe(options: {
  key: string;
  log: string[];
  state: string;
  host: string;
  port: string;
}) {
  const signer = parseCosignerKey(readSecret(options.key));
  const logKeys = options.log.flatMap(readLogKeys);
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CountersignError('config_invalid', `--port ${options.port}: not a port`);
  }
  const { state, store } = witnessStateFile(options.state);
  const witness = new Witness({ signer, logKeys, store, state });
  const server = await startWitnessServer(witness, {
    host: options.host,
    port,
    onRequest: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(
    `witness ${signer.verifierKey}\nlistening on ${server.url} for ${logKeys.length} log key(s)\n`,
  );
  const stop = () => void server.close().then(() => process.exit(EXIT.ok));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function readSecret(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new CountersignError('config_invalid', `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** A `--log` value: a log verifier key, or a file of them (one per line, # comments). */
function readLogKeys(value: string): string[] {
  const lines =
    existsSync(value) && statSync(value).isFile()
      ? readFileSync(value, 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'))
      : [value];
  for (const line of lines) {
    try {
      parseNoteVerifierKey(line);
    } catch (e) {
      throw new CountersignError('config_invalid', `--log ${line}: ${(e as Error).message}`);
    }
  }
  return lines;
}
