import { describe, expect, it } from '@jest/globals';
import { switchboardConfigSchema } from '@switchboard/contracts';
import { redactConfig, redactUrl } from '../src/index.js';

const secrets = ['admin-secret', 'client-secret', 'sk-or-secret', 'db-password', 'redis-password', 'bearer-secret', 'q-token'];

const config = switchboardConfigSchema.parse({
  database: { url: 'postgresql://app:db-password@db:5432/sb' },
  redis: { url: 'redis://default:redis-password@cache:6379/0' },
  auth: { admin_key: 'admin-secret', api_key: 'client-secret' },
  providers: [
    { name: 'local', type: 'llama-cpp', models: [{ name: 'm', file: 'models/m.gguf' }] },
    {
      name: 'or',
      type: 'openai-compatible',
      preset: 'openrouter',
      base_url: 'https://proxy.example/v1?token=q-token',
      api_key: 'sk-or-secret',
      headers: { Authorization: 'Bearer bearer-secret', 'X-Title': 'Switchboard' },
    },
  ],
});

describe('redactConfig', () => {
  it('hides every secret and keeps everything else', () => {
    const redacted = redactConfig(config);
    const text = JSON.stringify(redacted);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(redacted.auth).toEqual({ admin_key: '***', api_key: '***', cache_ttl_ms: 10000 });
    expect(redacted.database.url).toBe('postgresql://app:***@db:5432/sb');
    expect(redacted.redis.url).toBe('redis://default:***@cache:6379/0');
    expect(redacted.providers[1]).toMatchObject({
      api_key: '***',
      base_url: 'https://proxy.example/v1?token=***',
      headers: { Authorization: '***', 'X-Title': 'Switchboard' },
    });
    expect(redacted.providers[0]).toEqual(config.providers[0]);
    expect(redacted.server).toEqual(config.server);
  });

  it('leaves the original untouched and unset secrets unset', () => {
    redactConfig(config);
    expect(config.auth.admin_key).toBe('admin-secret');
    const bare = redactConfig(switchboardConfigSchema.parse({}));
    expect(bare.auth.admin_key).toBeUndefined();
    expect(bare.database.url).toBeUndefined();
    expect(bare.redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('masks URL passwords, including ones with an @ inside', () => {
    expect(redactUrl('mysql://root:p@ss@db/sb')).toBe('mysql://root:***@db/sb');
    expect(redactUrl('redis://:only-password@cache')).toBe('redis://:***@cache');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
  });
});
