import { loadConfig } from '@switchboard/config';
import type { ApiKeyDto, CreatedApiKeyDto, PageResponse } from '@switchboard/contracts';
import { formatTable, shortTime } from './cli-output.js';
import type { PlatformCommandContext } from './command-context.js';
import type { CreateKeyOptions } from './local.commands.js';
import { connectPlatform } from './platform-client.js';

/**
 * `keys create`: prints `{id, name, role, key}` as one JSON line (the secret is shown once: scripts keep it).
 * Through the running platform's API when one is up (it holds the embedded database), else in the database.
 */
export async function createKeyCommand(opts: CreateKeyOptions): Promise<void> {
  const config = loadConfig();
  // A running `npm start` holds the embedded database: ask its API instead.
  const platform = await connectPlatform(process.env, config);
  if (platform) {
    const created = await platform.request<CreatedApiKeyDto>('POST', '/api/keys', { name: opts.name, role: opts.role, ...(opts.rpm ? { rate_limit_per_minute: opts.rpm } : {}) });
    console.log(JSON.stringify({ id: created.id, name: created.name, role: created.role, key: created.key }));
    return;
  }
  // Loaded only here: Prisma and its drivers take a while, and the API path needs none of them.
  const row = await (await import('./local.commands.js')).createKeyInDatabase(config, opts);
  console.log(JSON.stringify(row));
}

/** `keys list`: every key (revoked ones too), newest first; secrets are never stored, only their prefixes. */
export async function listKeysCommand(ctx: PlatformCommandContext): Promise<void> {
  const keys: ApiKeyDto[] = [];
  let cursor: string | null = null;
  do {
    const page: PageResponse<ApiKeyDto> = await ctx.platform.request('GET', `/api/keys?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    keys.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  ctx.out.result({ data: keys }, () =>
    keys.length === 0
      ? 'no keys'
      : formatTable(
          ['id', 'name', 'prefix', 'role', 'rpm', 'last used', 'revoked'],
          keys.map((k) => [k.id, k.name, k.prefix, k.role, k.rate_limit_per_minute === null ? 'default' : String(k.rate_limit_per_minute), shortTime(k.last_used_at), shortTime(k.revoked_at)]),
        ),
  );
}

/** `keys revoke <id>`: the key authenticates nothing from now on (every app's key cache drops it). */
export async function revokeKeyCommand(ctx: PlatformCommandContext, id: string): Promise<void> {
  const key = await ctx.platform.request<ApiKeyDto>('DELETE', `/api/keys/${encodeURIComponent(id)}`);
  ctx.out.result(key, () => `revoked ${key.id} (${key.name}, ${key.prefix}…)`);
}
