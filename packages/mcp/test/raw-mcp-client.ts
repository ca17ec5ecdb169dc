import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RawResponse {
  id: number;
  result?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on arbitrary JSON
  error?: { code: number; message: string; data?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- idem
}

/**
 * JSON-RPC lines written by hand to a spawned proxy: what an attacker (or a client the SDKs do
 * not model yet, such as one of the Tasks extension) sends, byte for byte.
 */
export class RawMcpClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: RawResponse) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextId = 1;
  stderr = '';

  constructor(argv: string[]) {
    this.child = spawn(process.execPath, argv, { stdio: 'pipe' });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as RawResponse & { method?: string };
      if (m.method === undefined) this.waiting.get(m.id)?.(m);
    });
  }

  request(method: string, params: Record<string, unknown>): Promise<RawResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${method}: no answer\n${this.stderr}`)),
        30_000,
      );
      this.timers.add(timer);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(r);
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}
