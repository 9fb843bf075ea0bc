/** How every command prints: aligned tables and short lines for people, one JSON document for scripts. */

export interface CliOutput {
  /** `--json`: stdout carries machine-readable JSON only. */
  readonly json: boolean;
  /** Prints a result: `data` as JSON with --json, else the human text that `human` renders (if any). */
  result(data: unknown, human?: () => string): void;
  /** One JSON object on one line (with --json only): commands that report as they go (chat turns). */
  event(data: unknown): void;
  /** A line for people (run ids, hints): stderr, so stdout stays the answer or the JSON; silent with --json. */
  note(line: string): void;
}

export function cliOutput(json: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): CliOutput {
  return {
    json,
    result(data, human) {
      if (json) out.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (human) {
        const text = human();
        if (text) out.write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    event(data) {
      if (json) out.write(`${JSON.stringify(data)}\n`);
    },
    note(line) {
      if (!json) err.write(`${line}\n`);
    },
  };
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `key  value` lines, keys aligned: one record. */
export function formatRecord(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

/** A timestamp as people read it in a table: `2026-12-02 17:03:24` (UTC), or `-`. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-';
}
