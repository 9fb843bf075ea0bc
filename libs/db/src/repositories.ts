/**
 * The repository contracts. Only their implementations touch Prisma. Every backend (PGlite, PostgreSQL,
 * MySQL/MariaDB) passes the same conformance suite against these interfaces.
 * Owner scoping: methods that take `ownerKeyId` only see that owner's rows when it is a string; `null` means
 * "rows without an owner" only; `undefined` means "any owner" (admins and internal callers).
 * Errors (exported from errors.ts): a unique violation is a ConflictError (409), a missing row that a write
 * points at is a NotFoundError (404), a foreign cursor is an InvalidCursorError and a value too long for its
 * column an InvalidDataError (400). Methods that return `T | null` or `boolean` report "not found" that way.
 */
import type { UsageDimensionName } from '@switchboard/contracts';
import type {
  AgentRow,
  BenchmarkRow,
  ApiKeyRow,
  ConversationRow,
  MessageRow,
  Page,
  PipelineRow,
  PageQuery,
  ProviderCallRow,
  RunRow,
} from './entities.js';

type Insert<T, Optional extends keyof T = never> = Omit<T, 'id' | 'createdAt' | 'updatedAt' | Optional> &
  Partial<Pick<T, Optional>> & { id?: string };

export type NewApiKey = Insert<
  ApiKeyRow,
  'rateLimitPerMinute' | 'budgetTokens' | 'budgetCost' | 'budgetPeriod' | 'spentTokens' | 'spentCost' | 'periodStartedAt' | 'lastUsedAt' | 'revokedAt'
>;
export type NewAgent = Insert<AgentRow, 'description' | 'systemPrompt' | 'tools' | 'budgets' | 'onBudgetExceeded' | 'source'>;
export type NewConversation = Insert<ConversationRow, 'ownerKeyId' | 'agentId' | 'externalId' | 'title'>;
export type NewMessage = Insert<MessageRow, 'toolCalls' | 'toolCallId' | 'runId' | 'promptTokens' | 'completionTokens'>;
export type NewRun = Insert<
  RunRow,
  | 'conversationId' | 'agentId' | 'apiKeyId' | 'status' | 'mode' | 'provider' | 'providerModel' | 'attempt' | 'heartbeatAt'
  | 'startedAt' | 'finishedAt' | 'promptTokens' | 'completionTokens' | 'cost' | 'finishReason' | 'error' | 'output'
> & {
  /** Default now. Given by imports of older runs and by tests that need a run on a given day. */
  createdAt?: Date;
};
export type StartedRun = Pick<RunRow, 'id' | 'apiKeyId' | 'requestedModel' | 'attempt'> & { startedAt: Date };
export type NewProviderCall = Insert<ProviderCallRow, 'ttftMs' | 'error' | 'cached'>;
export type NewPipeline = Insert<PipelineRow, 'description' | 'createdBy'>;
export type NewBenchmark = Insert<BenchmarkRow, 'status' | 'apiKeyId' | 'results' | 'recommendations' | 'error' | 'startedAt' | 'finishedAt'>;

export interface ApiKeysRepository {
  create(key: NewApiKey): Promise<ApiKeyRow>;
  /** Reads show the spend of the current period: a key whose period ended reads as spentTokens/spentCost 0. */
  findByHash(hash: string): Promise<ApiKeyRow | null>;
  get(id: string): Promise<ApiKeyRow | null>;
  /** Newest first (createdAt desc, id desc). */
  list(page: PageQuery): Promise<Page<ApiKeyRow>>;
  update(id: string, patch: Partial<Omit<ApiKeyRow, 'id' | 'createdAt' | 'hash'>>): Promise<ApiKeyRow | null>;
  /**
   * Adds to the spend of the current period (atomically, safe under concurrent runs). With a `budgetPeriod`,
   * the first spend after the period ended (UTC day or month) restarts the counters. A missing key is ignored.
   */
  addSpend(id: string, tokens: number, cost: number): Promise<void>;
  /** Sets `lastUsedAt` of these keys in one statement (the authenticator's batched last-used times). */
  touch(ids: readonly string[], at: Date): Promise<void>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface AgentsRepository {
  create(agent: NewAgent): Promise<AgentRow>;
  get(id: string): Promise<AgentRow | null>;
  getByName(name: string): Promise<AgentRow | null>;
  /** Ordered by name. */
  list(): Promise<AgentRow[]>;
  update(id: string, patch: Partial<Omit<AgentRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<AgentRow | null>;
  delete(id: string): Promise<boolean>;
  /** Inserts or updates the config-defined agents by name in one transaction; leaves `api` agents alone. */
  seedFromConfig(agents: NewAgent[]): Promise<void>;
}

export interface ConversationsRepository {
  create(conversation: NewConversation): Promise<ConversationRow>;
  get(id: string, ownerKeyId?: string | null): Promise<ConversationRow | null>;
  findByExternalId(ownerKeyId: string | null, externalId: string): Promise<ConversationRow | null>;
  /** Newest first (updatedAt desc, id desc as the tiebreaker). */
  list(ownerKeyId: string | null | undefined, page: PageQuery): Promise<Page<ConversationRow>>;
  rename(id: string, title: string, ownerKeyId?: string | null): Promise<ConversationRow | null>;
  /** Deletes the conversation and its messages. */
  delete(id: string, ownerKeyId?: string | null): Promise<boolean>;
}

export interface MessagesRepository {
  /**
   * Appends in the given order (ordering is stable even when createdAt ties) and touches the conversation.
   * Ids, when given, must come from newId() in the same order. NotFoundError for a missing conversation.
   */
  append(conversationId: string, messages: Omit<NewMessage, 'conversationId'>[]): Promise<MessageRow[]>;
  /** Oldest first (createdAt asc, id asc as the tiebreaker). */
  list(conversationId: string, page: PageQuery): Promise<Page<MessageRow>>;
}

export interface RunsRepository {
  create(run: NewRun): Promise<RunRow>;
  get(id: string, ownerKeyId?: string | null): Promise<RunRow | null>;
  update(id: string, patch: Partial<Omit<RunRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<RunRow | null>;
  heartbeat(id: string, at: Date): Promise<void>;
  /** One statement for every run a worker holds; missing ids are ignored. */
  heartbeatMany(ids: readonly string[], at: Date): Promise<void>;
  /**
   * Marks runs as started by a worker (status `running`, attempt, startedAt, heartbeat), creating rows that do
   * not exist yet and updating the others, in a few statements for the whole batch. The row gets no
   * conversation here: the run's final record sets it.
   */
  markStarted(runs: readonly StartedRun[]): Promise<void>;
  /** Runs in `running` or `background` whose heartbeat (or last update, if none yet) is older than `before`. */
  findStale(before: Date, limit: number): Promise<RunRow[]>;
  /** Oldest first. */
  listByConversation(conversationId: string): Promise<RunRow[]>;
  /** Newest first (createdAt desc, id desc), narrowed by `filter`; `ownerKeyId` scopes as everywhere. */
  list(ownerKeyId: string | null | undefined, filter: RunListFilter, page: PageQuery): Promise<Page<RunRow>>;
  /**
   * Usage summed in the database over runs created in [from, to), one row per combination of `groupBy`'s
   * dimensions that has runs, ordered by day, key id, model. `ownerKeyId` scopes as everywhere.
   */
  usage(ownerKeyId: string | null | undefined, query: UsageQuery): Promise<UsageRow[]>;
}

export interface UsageQuery {
  /** Runs created at or after. */
  from: Date;
  /** Runs created before. */
  to: Date;
  /** No dimension: one row of totals (none when there are no runs). */
  groupBy: readonly UsageDimensionName[];
}

/** One group of runs. A dimension not grouped by is null in every row. */
export interface UsageRow {
  /** Null also for runs without a key (the key was deleted, or the caller was a key from config). */
  apiKeyId: string | null;
  /** The key's name and prefix, while the key exists. */
  keyName: string | null;
  keyPrefix: string | null;
  /** `<provider>/<model>` that answered; the requested model for runs nobody answered. */
  model: string | null;
  /** `YYYY-MM-DD`, the UTC day the runs were created. */
  day: string | null;
  runs: number;
  /** Runs answered from the response cache. */
  cachedRuns: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

/** What a runs listing may be narrowed to; every field set must match. */
export interface RunListFilter {
  status?: RunRow['status'];
  /** The model the client asked for, exactly: an agent's or pipeline's name, `auto`, `<provider>/<model>`. */
  requestedModel?: string;
  /** Asked for this model id, or answered by it (`<provider>/<model>`: `fake/m1` matches an `auto` run `fake` answered with `m1`). */
  model?: string;
  conversationId?: string;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
}

export interface ProviderCallsRepository {
  create(call: NewProviderCall): Promise<ProviderCallRow>;
  /** In the order they were made. */
  listByRun(runId: string): Promise<ProviderCallRow[]>;
  /** Per provider since `since` (skipped attempts left out): calls, errors, average latency and time to first token. */
  statsSince(since: Date): Promise<ProviderCallStats[]>;
}

export interface ProviderCallStats {
  provider: string;
  calls: number;
  errors: number;
  avgLatencyMs: number | null;
  avgTtftMs: number | null;
}

/** Benchmarks are reports of the whole install: every key may read them (starting one is for admins). */
export interface BenchmarksRepository {
  create(benchmark: NewBenchmark): Promise<BenchmarkRow>;
  get(id: string): Promise<BenchmarkRow | null>;
  /** Newest first (createdAt desc, id desc). */
  list(page: PageQuery): Promise<Page<BenchmarkRow>>;
  update(id: string, patch: Partial<Omit<BenchmarkRow, 'id' | 'createdAt' | 'updatedAt'>>): Promise<BenchmarkRow | null>;
}

/** Saved pipelines: few, global (every key calls them by name), one page ordered by name. */
export interface PipelinesRepository {
  /** A ConflictError when the name is taken. */
  create(pipeline: NewPipeline): Promise<PipelineRow>;
  get(id: string): Promise<PipelineRow | null>;
  /** Ordered by name. */
  list(): Promise<PipelineRow[]>;
  delete(id: string): Promise<boolean>;
}

/** What a worker writes when a run ends (see `recordRuns`). */
export interface CompletedRunRecord {
  run: NewRun & { id: string };
  /**
   * The conversation the run belongs to: used when it exists with the same owner, created when it does not.
   * If a conversation with the same owner and externalId exists (another run of the same client conversation,
   * stored or earlier in the same batch), the record joins that one. A conversation with this id but another
   * owner is never written into: the record gets a new conversation of its own. When the record lands
   * elsewhere than `id`, its run and messages that point at `id` are remapped there.
   */
  conversation?: NewConversation & { id: string };
  messages: NewMessage[];
  providerCalls: NewProviderCall[];
  /** Spend to add to the API key's current period. */
  spend?: { apiKeyId: string; tokens: number; cost: number };
}

export interface Repositories {
  apiKeys: ApiKeysRepository;
  agents: AgentsRepository;
  conversations: ConversationsRepository;
  messages: MessagesRepository;
  runs: RunsRepository;
  providerCalls: ProviderCallsRepository;
  benchmarks: BenchmarksRepository;
  pipelines: PipelinesRepository;
  /**
   * Writes finished runs, all or nothing, in one transaction whose number of statements does not grow with
   * the batch (it grows only with the distinct API keys, by one per run that already existed, and past ~470
   * runs, ~1,000 messages or 4 MB of text, more than one INSERT should carry). Per record:
   * the API key's spend (summed per key), the conversation (see CompletedRunRecord.conversation), its
   * `updatedAt`, the run (upserted by id: an existing row gets only the fields the record carries), its
   * messages in the given order and its provider calls. Records are applied in array order (a run that appears
   * twice is created, then updated). Retried internally on deadlocks and on rows another process inserted at
   * the same moment; any other failure (a ConflictError on a message id, a NotFoundError) fails the whole batch.
   * An empty array writes nothing.
   */
  recordRuns(records: CompletedRunRecord[]): Promise<void>;
  /** `recordRuns([record])`. */
  recordRun(record: CompletedRunRecord): Promise<void>;
}

export type DatabaseKind = 'pglite' | 'postgresql' | 'mysql';

/** An open database: repositories plus lifecycle. Made by `openDatabase(url)`. */
export interface Database extends Repositories {
  readonly kind: DatabaseKind;
  /** Cheap liveness query for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
