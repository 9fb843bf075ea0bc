import { z } from 'zod';

/**
 * Response schemas carry an OpenAPI `id` (`.meta({ id })`): the API documents them once as named components.
 *
 * Cursor pagination shared by every list route: `?cursor=&limit=` in, `{ data, next_cursor }` out.
 * Cursors are opaque: pass `next_cursor` back unchanged; `null` means there is no further page.
 */
export const pageQuerySchema = z.object({
  /** The `next_cursor` of the previous page; omitted for the first page. */
  cursor: z.string().min(1).max(512).optional(),
  /** Page size. Query strings are text, so the number is coerced. */
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQueryParams = z.output<typeof pageQuerySchema>;

/** A page of `item`s. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable(),
  });
}
export interface PageResponse<T> {
  data: T[];
  next_cursor: string | null;
}

/** Timestamps travel as ISO 8601 strings in UTC. */
export const timestampSchema = z.string().meta({ format: 'date-time', example: '2025-01-01T00:00:00.000Z' });

/** An ISO 8601 date (midnight UTC) or date-time in a query string. */
export const queryDate = z.iso.datetime({ offset: true }).or(z.iso.date()).transform((v) => new Date(v));
