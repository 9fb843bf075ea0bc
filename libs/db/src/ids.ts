import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Random bytes for ids, filled 4 KB at a time: one `randomBytes(8)` per id cost about 3 µs here (a call into
 * OpenSSL and a new Buffer each time); a run takes one on the gateway's request path and about four more in
 * its record.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomSlice(): Buffer {
  if (poolOffset + 8 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + 8);
  poolOffset += 8;
  return slice;
}

/**
 * Time-ordered ids (UUIDv7 layout): sortable by creation, and monotonic within one process even when many
 * are made in the same millisecond, so `ORDER BY createdAt, id` is stable when timestamps tie.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  const rand = randomSlice();
  const hex = ms.toString(16).padStart(12, '0');
  const seq = (0x7000 | counter).toString(16);
  const variant = ((rand[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0');
  const tail = rand.toString('hex', 1, 8);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${seq}-${variant}${tail.slice(0, 2)}-${tail.slice(2, 14)}`;
}
