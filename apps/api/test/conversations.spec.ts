import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type AgentList,
  type AppendMessagesResponse,
  type ApiErrorBody,
  type ConversationDto,
  type CreatedApiKeyDto,
  type MessageDto,
  type PageResponse,
} from '@switchboard/contracts';
import { ADMIN_KEY, SHARED_KEY, startTestApi, testConfig, type TestApi } from './api-harness.js';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

describe('api: conversations and messages', () => {
  let api: TestApi;
  /** Two user keys from the database: two owners. */
  let alice: string;
  let bob: string;

  const newKey = async (name: string): Promise<string> =>
    (await api.request<CreatedApiKeyDto>('POST', '/api/keys', { key: ADMIN_KEY, body: { name } })).body.key;
  const createConversation = (key: string, body: unknown = {}) =>
    api.request<ConversationDto>('POST', '/api/conversations', { key, body });

  /** Follows next_cursor to the end and returns every item and the number of pages. */
  async function readAll<T>(key: string, path: string, limit: number): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api.request<PageResponse<T>>('GET', `${path}${query}`, { key });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(limit);
      items.push(...res.body.data);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    return { items, pages };
  }

  beforeAll(async () => {
    api = await startTestApi(
      testConfig({ auth: { admin_key: ADMIN_KEY, api_key: SHARED_KEY }, agents: [{ name: 'assistant' }] }),
    );
    alice = await newKey('alice');
    bob = await newKey('bob');
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('creates, reads, renames and deletes a conversation', async () => {
    const created = await createConversation(alice, { title: '  Trip planning  ', external_id: 'owui-1' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Trip planning', external_id: 'owui-1', agent_id: null });
    expect(created.body.owner_key_id).not.toBeNull();

    const read = await api.request<ConversationDto>('GET', `/api/conversations/${created.body.id}`, { key: alice });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const renamed = await api.request<ConversationDto>('PATCH', `/api/conversations/${created.body.id}`, { key: alice, body: { title: 'Trip to Lisbon' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('Trip to Lisbon');

    expect((await api.request('DELETE', `/api/conversations/${created.body.id}`, { key: alice })).status).toBe(204);
    expect((await api.request('GET', `/api/conversations/${created.body.id}`, { key: alice })).status).toBe(404);
    expect((await api.request('DELETE', `/api/conversations/${created.body.id}`, { key: alice })).status).toBe(404);
  });

  it('links an agent, and refuses unknown agents and duplicate external ids', async () => {
    const agents = await api.request<AgentList>('GET', '/api/agents', { key: alice });
    const agentId = agents.body.data[0]!.id;
    const linked = await createConversation(alice, { agent_id: agentId });
    expect(linked.status).toBe(201);
    expect(linked.body.agent_id).toBe(agentId);

    const unknownAgent = await api.request<ApiErrorBody>('POST', '/api/conversations', { key: alice, body: { agent_id: UNKNOWN_ID } });
    expect(unknownAgent.status).toBe(404);
    expect(unknownAgent.body.error.message).toBe(`Agent ${UNKNOWN_ID} not found`);

    expect((await createConversation(alice, { external_id: 'dup' })).status).toBe(201);
    const dup = await api.request<ApiErrorBody>('POST', '/api/conversations', { key: alice, body: { external_id: 'dup' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.type).toBe('conflict_error');
    // External ids are unique per owner only.
    expect((await createConversation(bob, { external_id: 'dup' })).status).toBe(201);
  });

  it('pages through conversations with a cursor, newest first', async () => {
    const owner = await newKey('pager');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createConversation(owner, { title: `c${i}` })).body.id);
    const { items, pages } = await readAll<ConversationDto>(owner, '/api/conversations', 2);
    expect(pages).toBe(3);
    expect(items.map((c) => c.id)).toEqual([...ids].reverse());
  });

  it('appends messages and pages through them oldest first', async () => {
    const conversation = (await createConversation(alice, { title: 'chat' })).body;
    const path = `/api/conversations/${conversation.id}/messages`;
    const first = await api.request<AppendMessagesResponse>('POST', path, {
      key: alice,
      body: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'What is 2+2?' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2+2"}' } }],
          },
        ],
      },
    });
    expect(first.status).toBe(201);
    expect(first.body.data.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(first.body.data[2]!.tool_calls?.[0]?.function.name).toBe('calculator');
    const second = await api.request<AppendMessagesResponse>('POST', path, {
      key: alice,
      body: { messages: [{ role: 'tool', content: '4', tool_call_id: 'call_1' }, { role: 'assistant', content: '4' }] },
    });
    expect(second.status).toBe(201);
    expect(second.body.data[0]).toMatchObject({ role: 'tool', tool_call_id: 'call_1', conversation_id: conversation.id });

    const { items, pages } = await readAll<MessageDto>(alice, path, 2);
    expect(pages).toBe(3);
    expect(items.map((m) => m.content)).toEqual(['Be brief.', 'What is 2+2?', '', '4', '4']);
    expect(items.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
  });

  it('validates bodies and queries with field errors', async () => {
    const conversation = (await createConversation(alice)).body;
    const path = `/api/conversations/${conversation.id}/messages`;
    const badMessage = await api.request<ApiErrorBody>('POST', path, {
      key: alice,
      body: { messages: [{ role: 'tool', content: 'x' }, { role: 'wizard', content: 1 }] },
    });
    expect(badMessage.status).toBe(400);
    expect(badMessage.body.error.details?.map((d) => d.path)).toEqual(
      expect.arrayContaining(['messages.0.tool_call_id', 'messages.1.role', 'messages.1.content']),
    );
    const empty = await api.request<ApiErrorBody>('POST', path, { key: alice, body: { messages: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details?.[0]?.path).toBe('messages');

    const badTitle = await api.request<ApiErrorBody>('PATCH', `/api/conversations/${conversation.id}`, { key: alice, body: { title: 5, pinned: true } });
    expect(badTitle.status).toBe(400);
    expect(badTitle.body.error.details?.map((d) => d.path).sort()).toEqual(['pinned', 'title']);

    const badLimit = await api.request<ApiErrorBody>('GET', '/api/conversations?limit=0', { key: alice });
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toMatch(/^Invalid request query: limit: /);
    expect((await api.request('GET', '/api/conversations?limit=abc', { key: alice })).status).toBe(400);
    expect((await api.request('GET', '/api/conversations?limit=101', { key: alice })).status).toBe(400);
    const badCursor = await api.request<ApiErrorBody>('GET', '/api/conversations?cursor=bogus', { key: alice });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.error.details?.[0]?.path).toBe('cursor');
  });

  it('keeps owners apart: one key cannot see, change or write to another key’s conversations', async () => {
    const mine = (await createConversation(alice, { title: 'alice only' })).body;
    await api.request('POST', `/api/conversations/${mine.id}/messages`, { key: alice, body: { messages: [{ role: 'user', content: 'secret' }] } });

    const bobsList = await readAll<ConversationDto>(bob, '/api/conversations', 100);
    expect(bobsList.items.map((c) => c.id)).not.toContain(mine.id);
    expect(bobsList.items.every((c) => c.owner_key_id === bobsList.items[0]!.owner_key_id)).toBe(true);
    expect((await api.request('GET', `/api/conversations/${mine.id}`, { key: bob })).status).toBe(404);
    expect((await api.request('PATCH', `/api/conversations/${mine.id}`, { key: bob, body: { title: 'mine now' } })).status).toBe(404);
    expect((await api.request('DELETE', `/api/conversations/${mine.id}`, { key: bob })).status).toBe(404);
    expect((await api.request('GET', `/api/conversations/${mine.id}/messages`, { key: bob })).status).toBe(404);
    const intrude = await api.request('POST', `/api/conversations/${mine.id}/messages`, { key: bob, body: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(intrude.status).toBe(404);
    // The shared config key owns the rows without a key id; it does not see database keys' rows either.
    expect((await api.request('GET', `/api/conversations/${mine.id}`, { key: SHARED_KEY })).status).toBe(404);

    // Nothing changed for the owner.
    const still = await api.request<ConversationDto>('GET', `/api/conversations/${mine.id}`, { key: alice });
    expect(still.body.title).toBe('alice only');
    const messages = await api.request<PageResponse<MessageDto>>('GET', `/api/conversations/${mine.id}/messages`, { key: alice });
    expect(messages.body.data.map((m) => m.content)).toEqual(['secret']);

    // Admins see every owner's conversations.
    const all = await readAll<ConversationDto>(ADMIN_KEY, '/api/conversations', 100);
    const owners = new Set(all.items.map((c) => c.owner_key_id));
    expect(all.items.map((c) => c.id)).toContain(mine.id);
    expect(owners.size).toBeGreaterThanOrEqual(3);
    expect((await api.request('GET', `/api/conversations/${mine.id}/messages`, { key: ADMIN_KEY })).status).toBe(200);
  });

  it('answers 401 without a key and 404 for unknown conversations', async () => {
    expect((await api.request('GET', '/api/conversations')).status).toBe(401);
    expect((await api.request('POST', '/api/conversations', { body: {} })).status).toBe(401);
    expect((await api.request('GET', `/api/conversations/${UNKNOWN_ID}`, { key: alice })).status).toBe(404);
    expect((await api.request('GET', `/api/conversations/${UNKNOWN_ID}/messages`, { key: alice })).status).toBe(404);
    expect((await api.request('POST', `/api/conversations/${UNKNOWN_ID}/messages`, { key: alice, body: { messages: [{ role: 'user', content: 'x' }] } })).status).toBe(404);
    expect((await api.request('GET', '/api/conversations/123', { key: alice })).status).toBe(404);
  });
});
