import { describe, expect, it } from '@jest/globals';
import { assertHandlers, jobCatalog } from './job-catalog.js';

describe('job catalog', () => {
  const all = Object.fromEntries(Object.keys(jobCatalog).map((n) => [n, () => undefined]));

  it('accepts exactly one handler per catalog entry', () => {
    expect(() => assertHandlers(all)).not.toThrow();
  });

  it('refuses a missing handler, naming it', () => {
    expect(() => assertHandlers({})).toThrow(/missing run\.chat/);
  });

  it('refuses a handler for a job the catalog does not know', () => {
    expect(() => assertHandlers({ ...all, 'run.typo': () => undefined })).toThrow(/unknown run\.typo/);
  });

  it('validates payloads with the entry schema', () => {
    expect(jobCatalog['run.chat'].schema.safeParse({ runId: 'x' }).success).toBe(false);
  });
});
