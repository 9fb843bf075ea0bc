import { z } from 'zod';

/**
 * `GET /api/config`, unauthenticated: what the web app needs before it can sign in. The gateway (`/v1`) is a
 * port of its own, so the browser has to be told where it is.
 */
export const webConfigSchema = z
  .object({
    /** The OpenAI-compatible gateway's base URL as this browser reaches it, without `/v1`. */
    gateway_url: z.string(),
    /** `key`: requests need an API key; `open`: no key exists anywhere, anyone may call (a private laptop). */
    auth: z.enum(['key', 'open']),
  })
  .meta({ id: 'WebConfig' });
export type WebConfig = z.output<typeof webConfigSchema>;
