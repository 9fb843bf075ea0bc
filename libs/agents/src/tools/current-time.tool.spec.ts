import { describe, expect, it } from '@jest/globals';
import { ToolError } from '../tool.js';
import { createCurrentTimeTool } from './current-time.tool.js';

const ctx = { signal: new AbortController().signal, runId: 'r', depth: 0 };
// A Sunday in winter (Paris +01:00) and late in the UTC day, so Asia/Kolkata is already Monday.
const tool = createCurrentTimeTool({ now: () => new Date('2024-03-10T22:35:09.123Z') });

describe('current_time tool', () => {
  it('answers in UTC when no zone is given', async () => {
    await expect(tool.execute({}, ctx)).resolves.toBe('UTC: 2024-03-10T22:35:09Z\nUTC: 2024-03-10T22:35:09+00:00 (Sunday)');
  });

  it('adds the local time, offset and weekday of an IANA zone', async () => {
    await expect(tool.execute({ timezone: 'Europe/Paris' }, ctx)).resolves.toBe(
      'UTC: 2024-03-10T22:35:09Z\nEurope/Paris: 2024-03-10T23:35:09+01:00 (Sunday)',
    );
    const kolkata = await tool.execute({ timezone: 'Asia/Kolkata' }, ctx);
    expect(kolkata).toContain('Asia/Kolkata: 2024-03-11T04:05:09+05:30 (Monday)');
    const newYork = await tool.execute({ timezone: 'America/New_York' }, ctx);
    expect(newYork).toContain('America/New_York: 2024-03-10T18:35:09-04:00 (Sunday)'); // DST began that morning
  });

  it('accepts a zone in any case and answers with its canonical name', async () => {
    await expect(tool.execute({ timezone: 'europe/paris' }, ctx)).resolves.toContain('Europe/Paris: 2024-03-10T23:35:09+01:00');
    await expect(tool.execute({ timezone: 'utc' }, ctx)).resolves.toContain('\nUTC: 2024-03-10T22:35:09+00:00 (Sunday)');
  });

  it('refuses an unknown zone with a ToolError that shows a valid one', async () => {
    const error = await tool.execute({ timezone: 'Mars/Olympus_Mons' }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).message).toMatch(/unknown time zone "Mars\/Olympus_Mons": use an IANA name such as "Europe\/Paris"/);
  });

  it('reads the clock at each call', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const moving = createCurrentTimeTool({ now: () => now });
    await expect(moving.execute({}, ctx)).resolves.toContain('2030-01-01T00:00:00Z');
    now = new Date('2030-06-01T12:00:00Z');
    await expect(moving.execute({ timezone: 'Australia/Sydney' }, ctx)).resolves.toContain(
      'Australia/Sydney: 2030-06-01T22:00:00+10:00 (Saturday)',
    );
  });
});
