import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateApiKey } from '@switchboard/contracts';
import { type ApiKeysRepository, type Database, openDatabase } from '@switchboard/db';
import { AuthError, Authenticator, type AuthenticatorOptions, type Principal } from '../src/index.js';

const ADMIN = 'test-admin-key-0123456789';
const SHARED = 'test-shared-key-0123456789';
const silent = { warn: () => undefined };

/** The real repository, counting the calls that reach the database. */
function counted(keys: ApiKeysRepository): { keys: ApiKeysRepository; calls: Record<'findByHash' | 'count' | 'touch', number> } {
  const calls = { findByHash: 0, count: 0, touch: 0 };
  return {
    calls,
    keys: Object.assign(Object.create(keys) as ApiKeysRepository, {
      findByHash: (hash: string) => (calls.findByHash++, keys.findByHash(hash)),
      count: () => (calls.count++, keys.count()),
      touch: (ids: readonly string[], at: Date) => (calls.touch++, keys.touch(ids, at)),
    }),
  };
}

async function refusal(promise: Promise<Principal>): Promise<AuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

/** Polls until `check` holds or the deadline passes (a state to wait for, not a time to sleep). */
async function eventually(check: () => Promise<boolean>, deadlineMs = 5000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('Authenticator', () => {
  let db: Database;
  const made: Authenticator[] = [];
  const authenticator = (options: Partial<AuthenticatorOptions> = {}): Authenticator => {
    const auth = new Authenticator({ keys: db.apiKeys, adminKey: undefined, sharedKey: undefined, ttlMs: 10_000, logger: silent, ...options });
    made.push(auth);
    return auth;
  };
  const newKey = async (role: 'admin' | 'user' = 'user', extra: { rateLimitPerMinute?: number; budgetTokens?: number } = {}) => {
    const { secret, prefix, hash } = generateApiKey();
    const row = await db.apiKeys.create({ name: 't', role, prefix, hash, ...extra, ...(extra.budgetTokens ? { budgetPeriod: 'day' } : {}) });
    return { secret, row };
  };

  beforeAll(async () => {
    db = await openDatabase('memory://');
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((a) => a.close()));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('on an open install accepts every caller as the anonymous user, with any token or none, but not on admin routes', async () => {
    const auth = authenticator();
    expect(await auth.isOpen()).toBe(true);
    for (const header of [undefined, '', 'Bearer sk-anything', 'Basic dXNlcjpwYXNz']) {
      expect(await auth.authenticate(header)).toEqual({ kind: 'anonymous', role: 'user', keyId: null, rateLimitPerMinute: null, budget: null });
    }
    const anonymous = await auth.authenticate(undefined);
    let error: unknown;
    try {
      auth.requireAdmin(anonymous);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ status: 401, code: 'admin_key_required', type: 'authentication_error' });
    expect((error as Error).message).toContain('SWITCHBOARD_ADMIN_KEY');
  });

  it('is closed by a configured key, and then needs a valid Bearer key', async () => {
    const auth = authenticator({ adminKey: ADMIN, sharedKey: SHARED });
    expect(await auth.isOpen()).toBe(false);
    expect(await auth.authenticate(`Bearer ${ADMIN}`)).toMatchObject({ kind: 'admin-key', role: 'admin', keyId: null });
    expect(await auth.authenticate(`bearer  ${SHARED} `)).toMatchObject({ kind: 'shared-key', role: 'user', keyId: null });
    expect(await refusal(auth.authenticate(undefined))).toMatchObject({ status: 401, code: 'missing_api_key' });
    expect(await refusal(auth.authenticate(`Basic ${ADMIN}`))).toMatchObject({ status: 401, code: 'malformed_authorization' });
    const wrong = await refusal(auth.authenticate('Bearer sb-wrong'));
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_api_key', message: 'Invalid or revoked API key' });
    let forbidden: unknown;
    try {
      auth.requireAdmin(await auth.authenticate(`Bearer ${SHARED}`));
    } catch (e) {
      forbidden = e;
    }
    expect(forbidden).toMatchObject({ status: 403, type: 'permission_error' });
  });

  it('closes the install once a key exists, and a revoked key keeps it closed', async () => {
    const fresh = await openDatabase('memory://');
    try {
      const auth = new Authenticator({ keys: fresh.apiKeys, adminKey: undefined, sharedKey: undefined, ttlMs: 10_000, logger: silent });
      expect(await auth.isOpen()).toBe(true);
      const { secret, prefix, hash } = generateApiKey();
      const row = await fresh.apiKeys.create({ name: 'first', role: 'admin', prefix, hash });
      auth.invalidate(hash);
      expect(await refusal(auth.authenticate(undefined))).toMatchObject({ code: 'missing_api_key' });
      expect(await auth.authenticate(`Bearer ${secret}`)).toMatchObject({ kind: 'api-key', role: 'admin', keyId: row.id });
      await fresh.apiKeys.update(row.id, { revokedAt: new Date() });
      auth.invalidate(hash);
      expect(await refusal(auth.authenticate(`Bearer ${secret}`))).toMatchObject({ code: 'invalid_api_key' });
      expect(await auth.isOpen()).toBe(false);
      await auth.close();
    } finally {
      await fresh.close();
    }
  });

  it('serves repeated requests from its cache: one database read per key and TTL, misses included', async () => {
    const { keys, calls } = counted(db.apiKeys);
    const auth = authenticator({ keys, adminKey: ADMIN });
    const { secret, row } = await newKey('user', { rateLimitPerMinute: 7 });
    for (let i = 0; i < 500; i++) {
      expect(await auth.authenticate(`Bearer ${secret}`)).toMatchObject({ keyId: row.id, rateLimitPerMinute: 7, budget: null });
      await refusal(auth.authenticate('Bearer sb-not-a-key'));
    }
    expect(calls.findByHash).toBe(2);
    expect(calls.count).toBe(0); // a configured admin key closes the install without asking the database
  });

  it('stops accepting a key revoked by another process within its TTL', async () => {
    const auth = authenticator({ adminKey: ADMIN, ttlMs: 200 });
    const { secret, row } = await newKey();
    expect(await auth.authenticate(`Bearer ${secret}`)).toMatchObject({ keyId: row.id });
    // Revoked behind this authenticator's back (another api instance): no invalidate() here.
    await db.apiKeys.update(row.id, { revokedAt: new Date() });
    const refused = await eventually(() => auth.authenticate(`Bearer ${secret}`).then(() => false, (e: unknown) => e instanceof AuthError));
    expect(refused).toBe(true);
  });

  it('reads a key with a budget again each second, so its spend stops it promptly', async () => {
    const { keys, calls } = counted(db.apiKeys);
    const auth = authenticator({ keys, adminKey: ADMIN, ttlMs: 60_000 });
    const { secret, row } = await newKey('user', { budgetTokens: 100 });
    expect((await auth.authenticate(`Bearer ${secret}`)).budget).toMatchObject({ tokens: 100, spentTokens: 0 });
    await db.apiKeys.addSpend(row.id, 150, 0);
    expect(await eventually(async () => (await auth.authenticate(`Bearer ${secret}`)).budget?.spentTokens === 150)).toBe(true);
    expect(calls.findByHash).toBeGreaterThanOrEqual(2);
  });

  it('writes last_used_at in one batch per window, off the request path', async () => {
    const { keys, calls } = counted(db.apiKeys);
    const auth = authenticator({ keys, adminKey: ADMIN, ttlMs: 300 });
    const used = await Promise.all([newKey(), newKey(), newKey()]);
    for (const { secret } of used) await auth.authenticate(`Bearer ${secret}`);
    // Nothing is written while the requests are answered.
    expect(calls.touch).toBe(0);
    expect(await eventually(async () => (await db.apiKeys.get(used[2]!.row.id))?.lastUsedAt instanceof Date)).toBe(true);
    for (const { row } of used) expect((await db.apiKeys.get(row.id))?.lastUsedAt).toBeInstanceOf(Date);
    expect(calls.touch).toBe(1);
  });

  it('writes the pending last_used_at at close', async () => {
    const auth = authenticator({ adminKey: ADMIN, ttlMs: 60_000 });
    const { secret, row } = await newKey();
    await auth.authenticate(`Bearer ${secret}`);
    expect((await db.apiKeys.get(row.id))?.lastUsedAt).toBeNull();
    await auth.close();
    expect((await db.apiKeys.get(row.id))?.lastUsedAt).toBeInstanceOf(Date);
  });
});
