import { z } from 'zod';
import { apiKeyRoles } from './api-keys.schema.js';

/**
 * Who the caller is, as `GET /api/me` tells the web app (which shows the console to admins only). The API
 * still decides on every admin route; this only spares a user the links it could not use.
 */
export const meSchema = z
  .object({
    /** `admin-key` / `shared-key`: the keys from config; `api-key`: a database key; `anonymous`: an open install. */
    kind: z.enum(['admin-key', 'shared-key', 'api-key', 'anonymous']),
    role: z.enum(apiKeyRoles),
    /** The database key's id; null for the keys from config and the anonymous caller. */
    key_id: z.string().nullable(),
    /** The database key's name; null as for key_id. */
    key_name: z.string().nullable(),
    key_prefix: z.string().nullable(),
  })
  .meta({ id: 'Me' });
export type MeDto = z.output<typeof meSchema>;
