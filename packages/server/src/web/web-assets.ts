import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Where the built web inbox is: `dist/` of the @countersign/web package, found the way Node
 * finds any dependency, so it works from the repository and from an installed package alike.
 * Undefined when the package is not installed (the pages then say how to build it).
 */
export function defaultWebAssetsDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@countersign/web/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}
