import type { Decimal } from '@prisma/client/runtime/client';
import type { Conversation, Message, Prisma, ProviderCall, Run } from '../generated/postgresql/client.js';

/**
 * The column lists of the tables that recordRuns fills with hand-written bulk INSERTs (Prisma's
 * createMany spends ~0.3 ms of CPU per row in its query compiler). Each list is checked against the generated
 * client's model type when libs/db compiles: a field added to, removed from or retyped in prisma/schema.prisma
 * fails the build here until the list follows, so an INSERT never silently misses a column. table-columns.spec
 * also compares them with the generated clients' field lists and with the schema file itself.
 */

/** How values of a column are encoded as statement parameters (see bulk-insert.ts). */
export type ColumnKind = 'text' | 'int' | 'bigint' | 'decimal' | 'boolean' | 'datetime' | 'json';

// Tuples keep the checks from distributing over unions (a Json field's type is a union of JSON values).
type KindOf<T> = [T] extends [Date]
  ? 'datetime'
  : [T] extends [bigint]
    ? 'bigint'
    : [T] extends [boolean]
      ? 'boolean'
      : [T] extends [number]
        ? 'int'
        : [T] extends [string]
          ? 'text'
          : [T] extends [Decimal]
            ? 'decimal'
            : 'json';

/** A nullable column is written with a trailing `?`: 'text?' is a String? field. */
type ColumnOf<T> = null extends T ? `${KindOf<NonNullable<T>>}?` : KindOf<T>;

/** One entry per scalar field of the model, no more, no less, each with the field's kind and nullability. */
export type ColumnsOf<Model> = { readonly [K in keyof Model]-?: ColumnOf<Model[K]> };

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
}

export interface Table<Model> {
  /** The model, which is also the table's name (the schema maps no names). */
  readonly model: Prisma.ModelName;
  /** The columns in schema order: the one list both the column names and the values of an INSERT follow. */
  readonly columns: readonly Column[];
  /** Marks the row type this table takes; never set. */
  readonly row?: Model;
}

function table<Model>(model: Prisma.ModelName, columns: ColumnsOf<Model>): Table<Model> {
  return {
    model,
    columns: Object.entries(columns as Record<string, string>).map(([name, spec]) => ({
      name,
      kind: spec.replace(/\?$/, '') as ColumnKind,
      nullable: spec.endsWith('?'),
    })),
  };
}

export const conversationTable = table<Conversation>('Conversation', {
  id: 'text',
  ownerKeyId: 'text?',
  agentId: 'text?',
  externalId: 'text?',
  title: 'text',
  createdAt: 'datetime',
  updatedAt: 'datetime',
});

export const messageTable = table<Message>('Message', {
  id: 'text',
  conversationId: 'text',
  role: 'text',
  content: 'text',
  toolCalls: 'json?',
  toolCallId: 'text?',
  runId: 'text?',
  promptTokens: 'int?',
  completionTokens: 'int?',
  createdAt: 'datetime',
});

export const runTable = table<Run>('Run', {
  id: 'text',
  conversationId: 'text?',
  agentId: 'text?',
  apiKeyId: 'text?',
  status: 'text',
  mode: 'text',
  requestedModel: 'text',
  provider: 'text?',
  providerModel: 'text?',
  attempt: 'int',
  heartbeatAt: 'datetime?',
  startedAt: 'datetime?',
  finishedAt: 'datetime?',
  promptTokens: 'int',
  completionTokens: 'int',
  cost: 'decimal',
  finishReason: 'text?',
  error: 'text?',
  output: 'json?',
  createdAt: 'datetime',
  updatedAt: 'datetime',
});

export const providerCallTable = table<ProviderCall>('ProviderCall', {
  id: 'text',
  runId: 'text',
  provider: 'text',
  model: 'text',
  latencyMs: 'int',
  ttftMs: 'int?',
  promptTokens: 'int',
  completionTokens: 'int',
  outcome: 'text',
  error: 'text?',
  cached: 'boolean',
  createdAt: 'datetime',
});
