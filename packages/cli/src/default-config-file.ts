import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `serve --demo` writes its config (templates/demo-config.ts). */
export const DEMO_CONFIG_FILE = join('.countersign', 'countersign.yaml');

/**
 * The config a command uses without `--config`: COUNTERSIGN_CONFIG, else ./countersign.yaml,
 * else the demo's (so `npx countersign token create …` beside a running `npm start` works, as
 * the README shows), else ./countersign.yaml for the error message.
 */
export function defaultConfigFile(
  env: NodeJS.ProcessEnv = process.env,
  exists: (file: string) => boolean = existsSync,
): string {
  if (env.COUNTERSIGN_CONFIG) return env.COUNTERSIGN_CONFIG;
  if (!exists('countersign.yaml') && exists(DEMO_CONFIG_FILE)) return DEMO_CONFIG_FILE;
  return 'countersign.yaml';
}
