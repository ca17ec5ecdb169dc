// A test fixture, not a test: `countersign serve` whose store then stops answering. It holds
// the store's only SQLite connection forever, as the quorum-vote deadlock of issue 12 did.
import { serve } from '../src/commands/serve.js';

const gateway = await serve({ config: process.argv[2] ?? 'countersign.yaml' });
void gateway.storage.db.connection().execute(() => new Promise<never>(() => undefined));
process.stdout.write('stuck\n');
