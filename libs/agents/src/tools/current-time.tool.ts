import { z } from 'zod';
import { type AgentTool, ToolError } from '../tool.js';
import { parseToolArgs } from './tool-args.js';

const argsSchema = z.object({ timezone: z.string().trim().optional() });

/**
 * `current_time`: models do not know the date. Answers in UTC plus the local time of an IANA zone; without a
 * zone, UTC only, because the worker's own zone says nothing about the user's.
 */
export function createCurrentTimeTool(deps: { now?: () => Date } = {}): AgentTool {
  const now = deps.now ?? (() => new Date());
  return {
    name: 'current_time',
    definition: {
      type: 'function',
      function: {
        name: 'current_time',
        description:
          'Get the current date and time: ISO 8601 in UTC, and the local time and weekday in a time zone if one is given.',
        parameters: {
          type: 'object',
          properties: {
            timezone: { type: 'string', description: 'An IANA time zone such as "Europe/Paris" or "America/New_York"; default UTC' },
          },
          additionalProperties: false,
        },
      },
    },
    async execute(args) {
      const { timezone } = parseToolArgs('current_time', argsSchema, args);
      const instant = now();
      const zone = timezone ? canonicalZone(timezone) : 'UTC';
      const local = localTime(instant, zone);
      return [
        `UTC: ${instant.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        `${zone}: ${local.iso} (${local.weekday})`,
      ].join('\n');
    },
  };
}

/**
 * The zone's usual spelling ("europe/paris" -> "Europe/Paris"), or a ToolError naming what to send. ICU
 * answers some zones by an old alias (Asia/Kolkata as Asia/Calcutta) and its list of names may lack the new
 * one, so the model's own spelling is kept unless only its case differs from a known name.
 */
function canonicalZone(zone: string): string {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ToolError(`unknown time zone "${zone}": use an IANA name such as "Europe/Paris", "Asia/Tokyo" or "UTC"`);
  }
  const wanted = zone.toLowerCase();
  const known = Intl.supportedValuesOf('timeZone').find((name) => name.toLowerCase() === wanted);
  return known ?? (resolved.toLowerCase() === wanted ? resolved : zone);
}

/** Local wall time in ISO 8601 with the zone's offset at that instant (2024-03-10T15:05:09+01:00). */
function localTime(instant: Date, zone: string): { iso: string; weekday: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    weekday: 'long',
    timeZoneName: 'longOffset',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  // longOffset reads "GMT+05:30", or plain "GMT" at offset zero.
  const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00';
  const iso = `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}${offset}`;
  return { iso, weekday: part('weekday') };
}
