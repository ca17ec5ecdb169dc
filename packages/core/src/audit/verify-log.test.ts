import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../digest/canonical-json.js';
import type { JsonValue } from '../model/json.js';
import { formatCheckpoint } from './checkpoint.js';
import { MAX_ENTRY_BYTES, jsonlLines } from './jsonl-lines.js';
import { leafHash } from './merkle-hash.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import { generateNoteKey, parseNoteSignerKey } from './note-keys.js';
import type { NoteSigner } from './note-keys.js';
import { signNote } from './signed-note.js';
import { verifyLog } from './verify-log.js';
import type { VerifyLogInput } from './verify-log.js';

const ORIGIN = 'audit.test/countersign';
const KEY = generateNoteKey(ORIGIN);
const SIGNER = parseNoteSignerKey(KEY.signerKey);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** One entry as the server writes it (see audit-entry.ts), chained to the previous leaf. */
function entry(index: number, prev: string | null, data: JsonValue = { n: index }): string {
  return canonicalJson({
    v: 1,
    index,
    prev,
    at: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
    type: index % 2 ? 'action.vote_counted' : 'action.submitted',
    actor: { kind: index % 2 ? 'user' : 'agent', id: `p${index % 7}` },
    request_id: `act_${index >> 2}`,
    data,
  });
}

/** Entries 0…n-1 with a valid chain, starting after `prefix` (to build forks). */
function chain(
  n: number,
  prefix: readonly string[] = [],
  data = (i: number): JsonValue => ({ n: i }),
) {
  const lines = [...prefix];
  for (let i = lines.length; i < n; i++) {
    lines.push(entry(i, i === 0 ? null : b64(leafHash(Buffer.from(lines[i - 1]))), data(i)));
  }
  return lines;
}

/** Signed checkpoints of `lines` at the given sizes. */
function checkpoints(
  lines: readonly string[],
  sizes: readonly number[],
  signer: NoteSigner = SIGNER,
) {
  const tree = new MemoryMerkleTree(lines.map((l) => leafHash(Buffer.from(l))));
  return sizes.map((size) =>
    signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }), signer),
  );
}

const N = 1000;
const LOG = chain(N);
const [CHECKPOINT] = checkpoints(LOG, [N]) as [string];

function verify(entries: readonly string[], more: Partial<VerifyLogInput> = {}) {
  return verifyLog({ entries, checkpoint: CHECKPOINT, verifierKeys: KEY.verifierKey, ...more });
}

/** The log with line i replaced by an edited, still canonical entry keeping its index and prev. */
function edited(i: number, lines: readonly string[] = LOG): string[] {
  const copy = [...lines];
  const original = JSON.parse(copy[i]) as { prev: string | null };
  copy[i] = entry(i, original.prev, { n: i, rows: 99999 });
  return copy;
}

// The worked example of docs/audit.md ("Verifying an export by hand"), checked independently
// with Python's hashlib: three entries signed with the public documentation key.
const GOLDEN_ENTRIES = [
  '{"actor":{"id":"gateway","kind":"system"},"at":"2026-01-15T09:30:00.000Z","data":{"policy_version":"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae","rules":3},"index":0,"prev":null,"type":"policy.loaded","v":1}',
  '{"actor":{"id":"exporter","kind":"agent"},"at":"2026-01-15T09:30:01.000Z","data":{"action":"db.export","environment":"production","resource":"postgres://prod/customers"},"index":1,"prev":"MS31m26ouYlD6PSwRG8i0bxExDGxL3tk5iqVKLj7i6E=","request_id":"act_01JZ0000000000000000000001","type":"action.submitted","v":1}',
  '{"actor":{"id":"gateway","kind":"system"},"at":"2026-01-15T09:30:02.000Z","data":{"decision":"require_approval","rules":["prod-large-export"]},"index":2,"prev":"4xGgUmAWiTbPYZ1LO3HrQFiLYULTkffotgm9iMenWAQ=","request_id":"act_01JZ0000000000000000000001","type":"action.decided_by_policy","v":1}',
];
const GOLDEN_VKEY =
  'audit.example.com/countersign+7bbe489a+AUsT10dpZCfqESzlIjiwUoSKKH09mwux41jFoTswEBAi';
const GOLDEN_CHECKPOINT =
  'audit.example.com/countersign\n3\n+CDyJERM4Vtz/Nrh3Kw8YzRppH8b7nt+3I4zL2Wqzic=\n\n' +
  '\u2014 audit.example.com/countersign e75ImoRqoVTtnGwoH+/WyHD08kk6xcFrRvnbtU1Nepu6Ap9Cx4mugn1k7AoOUE7gbZ6xAcICN7nWn9WOWmQLT8GQ8AM=\n';

test('golden vector: the documented three-entry export', async () => {
  const leaves = GOLDEN_ENTRIES.map((e) => Buffer.from(leafHash(Buffer.from(e))).toString('hex'));
  assert.deepEqual(leaves, [
    '312df59b6ea8b98943e8f4b0446f22d1bc44c431b12f7b64e62a9528b8fb8ba1',
    'e311a05260168936cf619d4b3b71eb40588b6142d391f7e8b609bd88c7a75804',
    'a5c333f735acd6840b1eee33b04016db4f62244ca8405499a53cb22d4214fe81',
  ]);
  assert.deepEqual(
    await verifyLog({
      entries: GOLDEN_ENTRIES,
      checkpoint: GOLDEN_CHECKPOINT,
      verifierKeys: GOLDEN_VKEY,
    }),
    {
      ok: true,
      size: 3,
      root_hash: '+CDyJERM4Vtz/Nrh3Kw8YzRppH8b7nt+3I4zL2Wqzic=',
      origin: 'audit.example.com/countersign',
      checkpoint_size: 3,
      checkpoints_checked: 0,
    },
  );
  const tampered = [...GOLDEN_ENTRIES];
  tampered[1] = tampered[1].replace('customers', 'customerz');
  const r = await verifyLog({
    entries: tampered,
    checkpoint: GOLDEN_CHECKPOINT,
    verifierKeys: GOLDEN_VKEY,
  });
  assert.deepEqual(r.ok ? undefined : [r.code, r.first_bad_index], ['prev_mismatch', 1]);
});

describe('verifyLog: an intact log', () => {
  test('1,000 entries match their checkpoint', async () => {
    const tree = new MemoryMerkleTree(LOG.map((l) => leafHash(Buffer.from(l))));
    assert.deepEqual(await verify(LOG), {
      ok: true,
      size: N,
      root_hash: b64(tree.root()),
      origin: ORIGIN,
      checkpoint_size: N,
      checkpoints_checked: 0,
    });
  });

  test('bytes in odd-sized chunks, through jsonlLines, verify the same', async () => {
    const file = Buffer.from(LOG.map((l) => `${l}\n`).join(''));
    async function* chunks() {
      for (let at = 0; at < file.length; at += 4093) yield file.subarray(at, at + 4093);
    }
    const result = await verifyLog({
      entries: jsonlLines(chunks()),
      checkpoint: CHECKPOINT,
      verifierKeys: [KEY.verifierKey],
    });
    assert.equal(result.ok, true);
  });

  test('every size from 0 to 70 (every frontier shape), with a checkpoint at every size', async () => {
    const log = LOG.slice(0, 70);
    const notes = checkpoints(
      log,
      Array.from({ length: 71 }, (_, i) => i),
    );
    const history = notes.map((note, i) => ({ label: String(i), note }));
    for (let n = 0; n <= 70; n += 1) {
      const r = await verify(log.slice(0, n), {
        checkpoint: notes[n],
        history: history.slice(0, n),
      });
      assert.equal(r.ok, true, `size ${n}`);
    }
  });

  test('the empty log', async () => {
    const [empty] = checkpoints([], [0]) as [string];
    assert.equal((await verify([], { checkpoint: empty })).ok, true);
  });

  test('progress is reported every 65,536 entries and at the end', async () => {
    const seen: Array<[number, number]> = [];
    await verify(LOG, { onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen, [[N, N]]);
    const big = Array.from({ length: 70_000 }, () => 'x');
    await verify(big, { onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen.slice(1), [
      [65_536, N],
      [70_000, N],
    ]);
  });

  test('older checkpoints from the export, and --since, that are prefixes pass', async () => {
    const history = checkpoints(LOG, [1, 250, 999]).map((note, i) => ({ label: `h${i}`, note }));
    const [since] = checkpoints(LOG, [500]) as [string];
    const result = await verify(LOG, { history, since });
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    assert.deepEqual(result.since, { size: 500, consistent: true });
    assert.equal(result.checkpoints_checked, 4);
  });
});

describe('verifyLog: tampered entries name the first bad index', () => {
  const failsAt = async (lines: readonly string[], code: string, index: number, more = {}) => {
    const result = await verify(lines, more);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, code, result.reason);
    assert.equal(result.first_bad_index, index, result.reason);
    return result;
  };

  test('an edited entry (still canonical, same index and prev) is named by its successor', async () => {
    for (const i of [0, 1, 437, 998]) await failsAt(edited(i), 'prev_mismatch', i);
  });

  test('the edited last entry: exact with a checkpoint just before, else a range ending at it', async () => {
    const r = await verify(edited(N - 1));
    assert.ok(!r.ok);
    assert.equal(r.code, 'root_mismatch');
    assert.deepEqual(r.range, { from: 0, to: N });
    assert.match(r.reason, /entry 999 was altered/);
    const history = checkpoints(LOG, [900]).map((note) => ({ label: '900.txt', note }));
    const narrowed = await verify(edited(N - 1), { history });
    assert.ok(!narrowed.ok);
    assert.deepEqual(narrowed.range, { from: 900, to: N });
    const [at999] = checkpoints(LOG, [N - 1]) as [string];
    await failsAt(edited(N - 1), 'root_mismatch', N - 1, {
      history: [{ label: '999', note: at999 }],
    });
  });

  test('a broken link after a checkpoint that proves its predecessor intact names the successor', async () => {
    const lines = [...LOG];
    lines[600] = entry(600, b64(Buffer.alloc(32, 7)));
    await failsAt(lines, 'prev_mismatch', 599);
    const history = checkpoints(LOG, [600]).map((note) => ({ label: '600', note }));
    await failsAt(lines, 'prev_mismatch', 600, { history });
  });

  test('a deleted entry', async () => {
    for (const i of [0, 321, N - 1]) {
      const lines = LOG.filter((_, k) => k !== i);
      await failsAt(lines, i === N - 1 ? 'entries_missing' : 'entry_out_of_order', i);
    }
  });

  test('an inserted entry, forged to fit (own index, valid prev), or a copied row', async () => {
    const forged = [...LOG];
    forged.splice(200, 0, entry(200, JSON.parse(LOG[200]).prev, { forged: true }));
    await failsAt(forged, 'entry_out_of_order', 200);
    const copied = [...LOG];
    copied.splice(201, 0, LOG[200]);
    await failsAt(copied, 'entry_out_of_order', 201);
    // The following entries renumbered too (but their prev left alone): the link breaks.
    const renumbered = [
      ...forged.slice(0, 201),
      ...LOG.slice(200).map((l) => {
        const o = JSON.parse(l) as { index: number };
        return canonicalJson({ ...o, index: o.index + 1 });
      }),
    ];
    await failsAt(renumbered, 'prev_mismatch', 200);
  });

  test('lines inserted at the front, or too many to compare, are named or bounded', async () => {
    const front = [entry(0, null, { forged: true }), ...LOG];
    await failsAt(front, 'entry_out_of_order', 0);
    // 1,100 forged lines with a valid chain between 100 and the genuine entry 100: beyond the
    // window of recent leaves, so the damage is bounded rather than pinned.
    const flood = [...chain(1200, LOG.slice(0, 100), (i) => ({ flood: i })), ...LOG.slice(100)];
    const r = await verify(flood);
    assert.ok(!r.ok);
    assert.equal(r.code, 'entry_out_of_order');
    assert.deepEqual(r.range, { from: 100, to: 1201 });
  });

  test('two swapped entries name the first', async () => {
    const lines = [...LOG];
    [lines[100], lines[700]] = [lines[700], lines[100]];
    await failsAt(lines, 'entry_out_of_order', 100);
    const adjacent = [...LOG];
    [adjacent[5], adjacent[6]] = [adjacent[6], adjacent[5]];
    await failsAt(adjacent, 'entry_out_of_order', 5);
  });

  test('a truncated log, and extra lines at the end', async () => {
    await failsAt(LOG.slice(0, 990), 'entries_missing', 990);
    await failsAt(chain(N + 3, LOG), 'entries_extra', N);
    const blank = await verify([...LOG, '']);
    assert.ok(!blank.ok);
    assert.equal(blank.first_bad_index, N);
  });

  test('non-canonical text: spaces, key order, a CR, an escaped letter, a float', async () => {
    const variants = [
      (l: string) => l.replace('{"actor"', '{ "actor"'),
      (l: string) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l)).reverse())),
      (l: string) => `${l}\r`,
      (l: string) => l.replace('"v":1', '"v":1.0'),
      (l: string) => l.replace('"type":"action', '"type":"\\u0061ction'),
    ];
    for (const change of variants) {
      const lines = [...LOG];
      lines[42] = change(lines[42]);
      assert.notEqual(lines[42], LOG[42]);
      await failsAt(lines, 'entry_not_canonical', 42);
    }
  });

  test('lines that are not entries', async () => {
    const cases: Array<[string | Uint8Array, string]> = [
      ['not json', 'entry_malformed'],
      ['[1,2]', 'entry_malformed'],
      [canonicalJson({ index: 3, prev: null, v: 2 }), 'entry_malformed'],
      [canonicalJson({ index: 3, v: 1 }), 'entry_malformed'],
      [canonicalJson({ index: 3, prev: 'AAAA', v: 1 }), 'entry_malformed'],
      [canonicalJson({ index: 3, prev: null, v: 1 }), 'entry_malformed'],
      [canonicalJson({ index: '3', prev: null, v: 1 }), 'entry_malformed'],
      [Buffer.from([0x7b, 0xff, 0x7d]), 'entry_malformed'],
    ];
    for (const [line, code] of cases) {
      const lines: Array<string | Uint8Array> = [...LOG];
      lines[3] = line;
      const result = await verifyLog({
        entries: lines,
        checkpoint: CHECKPOINT,
        verifierKeys: KEY.verifierKey,
      });
      assert.ok(!result.ok);
      assert.deepEqual([result.code, result.first_bad_index], [code, 3], String(line));
    }
    const first = [...LOG];
    first[0] = entry(0, b64(Buffer.alloc(32)));
    await failsAt(first, 'entry_malformed', 0);
  });

  test('a line nested too deeply, or too long, or not text at all', async () => {
    const deep = [...LOG];
    deep[9] = `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    await failsAt(deep, 'entry_malformed', 9);
    const long: Array<string | Uint8Array> = [...LOG];
    long[8] = Buffer.alloc(MAX_ENTRY_BYTES + 1, 0x20);
    const r = await verifyLog({
      entries: long,
      checkpoint: CHECKPOINT,
      verifierKeys: KEY.verifierKey,
    });
    assert.deepEqual(r.ok ? undefined : [r.code, r.first_bad_index], ['entry_malformed', 8]);
    const junk = [...LOG.slice(0, 4), 42] as unknown as string[];
    const j = await verify(junk);
    assert.deepEqual(j.ok ? undefined : [j.code, j.first_bad_index], ['entries_unreadable', 4]);
  });

  test('a full rewrite that keeps the chain is bounded by the checkpoints around it', async () => {
    const rewritten = chain(N, LOG.slice(0, 640), (i) => ({ n: i, rewritten: true }));
    const history = checkpoints(LOG, [500, 700, 900]).map((note, i) => ({ label: `c${i}`, note }));
    const r = await verify(rewritten, { history });
    assert.ok(!r.ok);
    assert.equal(r.code, 'root_mismatch');
    assert.deepEqual(r.range, { from: 500, to: 700 });
    assert.equal(r.first_bad_index, undefined);
  });

  test('a read error mid-way', async () => {
    async function* broken() {
      yield LOG.slice(0, 10);
      throw new Error('disk on fire');
    }
    async function* odd() {
      yield LOG[0];
      throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error
    }
    const o = await verifyLog({
      entries: odd(),
      checkpoint: CHECKPOINT,
      verifierKeys: KEY.verifierKey,
    });
    assert.ok(!o.ok);
    assert.match(o.reason, /cannot read entry 1: a string/);
    const r = await verifyLog({
      entries: broken(),
      checkpoint: CHECKPOINT,
      verifierKeys: KEY.verifierKey,
    });
    assert.ok(!r.ok);
    assert.deepEqual([r.code, r.first_bad_index], ['entries_unreadable', 10]);
    assert.match(r.reason, /disk on fire/);
  });
});

describe('verifyLog: checkpoints and keys', () => {
  const failsWith = async (code: string, more: Partial<VerifyLogInput>, entries = LOG) => {
    const r = await verify(entries, more);
    assert.ok(!r.ok);
    assert.equal(r.code, code, r.reason);
    return r;
  };

  test('a checkpoint signed by another key, or a malformed key', async () => {
    const other = generateNoteKey(ORIGIN);
    await failsWith('checkpoint_unverified', { verifierKeys: other.verifierKey });
    await failsWith('key_invalid', { verifierKeys: 'not a key' });
    await failsWith('key_invalid', { verifierKeys: [] });
  });

  test('a tampered checkpoint size or root', async () => {
    await failsWith('checkpoint_signature_invalid', {
      checkpoint: CHECKPOINT.replace(`\n${N}\n`, '\n999\n'),
    });
    const root = CHECKPOINT.split('\n')[2];
    const flipped = (root[0] === 'A' ? 'B' : 'A') + root.slice(1);
    await failsWith('checkpoint_signature_invalid', {
      checkpoint: CHECKPOINT.replace(root, flipped),
    });
    await failsWith('checkpoint_malformed', { checkpoint: 'garbage' });
  });

  test('a checkpoint whose origin is not the name of the key that signed it', async () => {
    const stranger = generateNoteKey('someone.else/log');
    const tree = new MemoryMerkleTree(LOG.map((l) => leafHash(Buffer.from(l))));
    const note = signNote(
      formatCheckpoint({ origin: ORIGIN, size: N, rootHash: tree.root() }),
      parseNoteSignerKey(stranger.signerKey),
    );
    await failsWith('origin_mismatch', { checkpoint: note, verifierKeys: stranger.verifierKey });
  });

  test('a correctly signed checkpoint over different entries', async () => {
    const [forgedRoot] = checkpoints(
      chain(N, [], (i) => ({ other: i })),
      [N],
    ) as [string];
    const r = await failsWith('root_mismatch', { checkpoint: forgedRoot });
    assert.deepEqual(r.range, { from: 0, to: N });
  });

  test('--since newer than the checkpoint, or for another log', async () => {
    const longer = chain(N + 10, LOG);
    const [newer] = checkpoints(longer, [N + 10]) as [string];
    await failsWith('checkpoint_not_older', { since: newer });
    const otherKey = generateNoteKey('other.log/x');
    const otherNote = signNote(
      formatCheckpoint({ origin: 'other.log/x', size: 1, rootHash: Buffer.alloc(32) }),
      parseNoteSignerKey(otherKey.signerKey),
    );
    await failsWith('origin_mismatch', {
      since: otherNote,
      verifierKeys: [KEY.verifierKey, otherKey.verifierKey],
    });
    await failsWith('checkpoint_signature_invalid', {
      since: newer.replace(`\n${N + 10}\n`, '\n5\n'),
    });
  });

  test('--since from a fork (same key, same size, different history) is a fork', async () => {
    const fork = chain(500, LOG.slice(0, 300), (i) => ({ n: i, fork: true }));
    const [since] = checkpoints(fork, [500]) as [string];
    const r = await failsWith('fork', { since });
    assert.deepEqual(r.range, { from: 0, to: 500 });
    const history = checkpoints(LOG, [300]).map((note) => ({ label: '300', note }));
    const narrowed = await failsWith('fork', { since, history });
    assert.deepEqual(narrowed.range, { from: 300, to: 500 });
    assert.match(narrowed.reason, /--since/);
  });

  test('a forked checkpoint in the export history is a fork too', async () => {
    const fork = chain(N, LOG.slice(0, 899), (i) => ({ n: i, fork: true }));
    const [at900] = checkpoints(fork, [900]) as [string];
    const history = checkpoints(LOG, [899]).map((note) => ({ label: '899', note }));
    const r = await failsWith('fork', { history: [...history, { label: '900.txt', note: at900 }] });
    assert.equal(r.first_bad_index, 899);
    assert.match(r.reason, /900\.txt/);
  });
});
