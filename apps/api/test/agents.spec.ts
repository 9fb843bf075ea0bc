import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AgentDto, type AgentList, type ApiErrorBody } from '@switchboard/contracts';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

describe('api: agents', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(
      testConfig({
        auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY },
        agents: [
          { name: 'assistant', system_prompt: 'You are a helpful assistant.', tools: ['calculator', 'current_time'] },
          { name: 'researcher', model: 'local/qwen2.5-0.5b', on_budget_exceeded: 'stop' },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('lists the agents seeded from config to any valid key', async () => {
    const res = await api.request<AgentList>('GET', '/api/agents', { key: SHARED_KEY });
    expect(res.status).toBe(200);
    expect(res.body.data.map((a) => a.name)).toEqual(['assistant', 'researcher']);
    const [assistant, researcher] = res.body.data;
    expect(assistant).toMatchObject({
      name: 'assistant',
      model: 'auto',
      system_prompt: 'You are a helpful assistant.',
      tools: ['calculator', 'current_time'],
      budgets: { sync: { max_iterations: 5, max_seconds: 45 }, background: { max_iterations: 10, max_seconds: 600 } },
      on_budget_exceeded: 'background',
      source: 'config',
    });
    expect(researcher).toMatchObject({ model: 'local/qwen2.5-0.5b', on_budget_exceeded: 'stop', source: 'config' });
    expect(new Date(assistant!.created_at).toISOString()).toBe(assistant!.created_at);
  });

  it('creates, reads, updates and deletes an agent (admin)', async () => {
    const created = await api.request<AgentDto>('POST', '/api/agents', {
      key: ADMIN_KEY,
      body: { name: 'writer', description: 'Writes', tools: ['web_search'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'writer', description: 'Writes', model: 'auto', tools: ['web_search'], source: 'api' });

    const read = await api.request<AgentDto>('GET', `/api/agents/${created.body.id}`, { key: SHARED_KEY });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const updated = await api.request<AgentDto>('PATCH', `/api/agents/${created.body.id}`, {
      key: ADMIN_KEY,
      body: { description: 'Writes well', budgets: { sync: { max_iterations: 2, max_seconds: 10 }, background: { max_iterations: 3, max_seconds: 60 } } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'writer', description: 'Writes well', tools: ['web_search'] });
    expect(updated.body.budgets.sync).toEqual({ max_iterations: 2, max_seconds: 10 });

    const list = await api.request<AgentList>('GET', '/api/agents', { key: SHARED_KEY });
    expect(list.body.data.map((a) => a.name)).toEqual(['assistant', 'researcher', 'writer']);

    expect((await api.request('DELETE', `/api/agents/${created.body.id}`, { key: ADMIN_KEY })).status).toBe(204);
    expect((await api.request('GET', `/api/agents/${created.body.id}`, { key: ADMIN_KEY })).status).toBe(404);
    expect((await api.request('DELETE', `/api/agents/${created.body.id}`, { key: ADMIN_KEY })).status).toBe(404);
  });

  it('answers 409 for a name that is taken, on create and on rename', async () => {
    const dup = await api.request<ApiErrorBody>('POST', '/api/agents', { key: ADMIN_KEY, body: { name: 'assistant' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toEqual({ type: 'conflict_error', message: 'An agent named "assistant" already exists' });

    const other = await api.request<AgentDto>('POST', '/api/agents', { key: ADMIN_KEY, body: { name: 'other' } });
    const rename = await api.request<ApiErrorBody>('PATCH', `/api/agents/${other.body.id}`, { key: ADMIN_KEY, body: { name: 'researcher' } });
    expect(rename.status).toBe(409);
    expect(rename.body.error.type).toBe('conflict_error');
  });

  it('answers 400 with every field error', async () => {
    const res = await api.request<ApiErrorBody>('POST', '/api/agents', {
      key: ADMIN_KEY,
      body: { name: 'Bad Name!', tools: ['calculator', 'rm_rf'], budgets: { sync: { max_iterations: 0, max_seconds: 1 } }, colour: 'blue' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('invalid_request_error');
    expect(res.body.error.message).toMatch(/^Invalid request body: /);
    const paths = res.body.error.details?.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'tools.1', 'budgets.sync.max_iterations', 'colour']));
    expect(res.body.error.details?.find((d) => d.path === 'colour')?.message).toBe('unknown field');

    const empty = await api.request<ApiErrorBody>('PATCH', `/api/agents/${UNKNOWN_ID}`, { key: ADMIN_KEY, body: {} });
    expect(empty.status).toBe(400);
    const noBody = await api.request<ApiErrorBody>('POST', '/api/agents', { key: ADMIN_KEY });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error.type).toBe('invalid_request_error');
  });

  it('answers 404 for unknown and malformed ids', async () => {
    const unknown = await api.request<ApiErrorBody>('GET', `/api/agents/${UNKNOWN_ID}`, { key: SHARED_KEY });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ type: 'not_found_error', message: `Agent ${UNKNOWN_ID} not found` });
    expect((await api.request('GET', '/api/agents/not-an-id', { key: SHARED_KEY })).status).toBe(404);
    expect((await api.request('PATCH', `/api/agents/${UNKNOWN_ID}`, { key: ADMIN_KEY, body: { description: 'x' } })).status).toBe(404);
  });

  it('needs a valid key for reads and an admin key for writes', async () => {
    const anonymous = await api.request<ApiErrorBody>('GET', '/api/agents');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.type).toBe('authentication_error');
    expect((await api.request('GET', '/api/agents', { key: 'sb-wrong' })).status).toBe(401);
    expect((await api.request('GET', '/api/agents', { headers: { authorization: `Basic ${ADMIN_KEY}` } })).status).toBe(401);

    expect((await api.request('POST', '/api/agents', { body: { name: 'x1' } })).status).toBe(401);
    const asUser = await api.request<ApiErrorBody>('POST', '/api/agents', { key: SHARED_KEY, body: { name: 'x1' } });
    expect(asUser.status).toBe(403);
    expect(asUser.body.error.type).toBe('permission_error');
    const target = (await api.request<AgentList>('GET', '/api/agents', { key: SHARED_KEY })).body.data[0]!.id;
    expect((await api.request('PATCH', `/api/agents/${target}`, { key: SHARED_KEY, body: { description: 'x' } })).status).toBe(403);
    expect((await api.request('DELETE', `/api/agents/${target}`, { key: SHARED_KEY })).status).toBe(403);
    expect((await api.request('GET', `/api/agents/${target}`, { key: SHARED_KEY })).status).toBe(200);
  });
});
