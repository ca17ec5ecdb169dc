import { stringify } from 'yaml';
import { DEMO_DIRECTORY } from './demo-directory.js';

/** The demo's policy file, beside its config in the data folder. */
export const DEMO_POLICY_FILE = 'demo-policy.yaml';

/**
 * The `countersign.yaml` that `serve --demo` writes into its data folder and then runs from,
 * so the store commands (`token create`, `report soc2`, `login-link`…) open the same store,
 * directory and policy as the demo. Paths are relative to the file itself.
 */
export function demoConfigYaml(): string {
  const body = stringify({
    server: { host: '127.0.0.1', port: 8080, log_level: 'info' },
    data_dir: '.',
    directory: DEMO_DIRECTORY,
    policy: DEMO_POLICY_FILE,
  });
  return `# Written by \`countersign serve --demo\`, which runs from it; edit it freely (the demo keeps
# an existing file). The CLI finds it when no ./countersign.yaml exists, e.g.
#   npx countersign token create --agent support-copilot
#   npx countersign login-link --user alice
# Reference: docs/operations.md
${body}`;
}
