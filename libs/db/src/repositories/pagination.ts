import type { Page, PageQuery } from '../entities.js';
import { InvalidCursorError } from '../errors.js';

/**
 * Keyset pagination on (timestamp, id). The cursor is opaque to callers: base64url of the listing's tag, the
 * last row's timestamp and id. Ordering by the id as well keeps pages exact when many rows share a timestamp.
 */
export const MAX_PAGE_SIZE = 500;

export interface CursorKey {
  at: Date;
  id: string;
}

export function encodeCursor(listing: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([listing, key.at.toISOString(), key.id]), 'utf8').toString('base64url');
}

export function decodeCursor(listing: string, cursor: string | null | undefined): CursorKey | null {
  if (cursor === undefined || cursor === null || cursor === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 3 && value[0] === listing && typeof value[1] === 'string' && typeof value[2] === 'string') {
      const at = new Date(value[1]);
      if (!Number.isNaN(at.getTime())) return { at, id: value[2] };
    }
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursorError();
}

export function pageSize(query: PageQuery): number {
  const limit = Number.isFinite(query.limit) ? Math.floor(query.limit) : MAX_PAGE_SIZE;
  return Math.min(Math.max(limit, 1), MAX_PAGE_SIZE);
}

/** Rows strictly after the cursor in the listing's order, as a Prisma `where` fragment. */
export function after<F extends string>(field: F, key: CursorKey | null, direction: 'asc' | 'desc') {
  if (!key) return {};
  const op = direction === 'asc' ? 'gt' : 'lt';
  return { OR: [{ [field]: { [op]: key.at } }, { [field]: key.at, id: { [op]: key.id } }] };
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<R, T>(listing: string, rows: R[], limit: number, key: (row: R) => CursorKey, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(listing, key(last)) : null };
}
