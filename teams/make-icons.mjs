// Draws the Teams app icons (https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package#app-icons):
// color.png, 192×192, full colour; outline.png, 32×32, white on transparent. A double check
// mark, Countersign's "two signatures". No dependencies: PNG is zlib-compressed RGBA rows.
// Run: node teams/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0, then RGBA
    for (let x = 0; x < size; x++) row.set(pixel(x + 0.5, y + 0.5), 1 + x * 4);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Distance from p to the segment a–b. */
function segment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Coverage (0–1) of a double check mark in a unit square, with a soft edge of `aa`. */
function checks(u, v, width, aa) {
  const marks = [
    [
      [0.12, 0.55],
      [0.3, 0.73],
      [0.62, 0.3],
    ],
    [
      [0.42, 0.68],
      [0.47, 0.73],
      [0.86, 0.3],
    ],
  ];
  let d = Infinity;
  for (const [a, b, c] of marks) d = Math.min(d, segment(u, v, a, b), segment(u, v, b, c));
  return Math.max(0, Math.min(1, (width / 2 - d) / aa + 0.5));
}

const accent = [0x1f, 0x4e, 0x79];
const color = png(192, (x, y) => {
  const a = checks(x / 192, y / 192, 0.085, 1 / 192);
  const mix = (bg) => Math.round(bg * (1 - a) + 255 * a);
  return [mix(accent[0]), mix(accent[1]), mix(accent[2]), 255];
});
const outline = png(32, (x, y) => [
  255,
  255,
  255,
  Math.round(255 * checks(x / 32, y / 32, 0.11, 1 / 32)),
]);
writeFileSync(join(here, 'color.png'), color);
writeFileSync(join(here, 'outline.png'), outline);
console.log('wrote teams/color.png (192×192) and teams/outline.png (32×32)');
