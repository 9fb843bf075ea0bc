import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { cliOutput, formatRecord, formatTable, shortTime } from '../src/cli-output.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('cli output', () => {
  it('aligns table columns to the widest cell without trailing blanks', () => {
    expect(formatTable(['id', 'status'], [['a1', 'succeeded'], ['long-id', '']])).toBe('id       status\na1       succeeded\nlong-id');
    expect(formatRecord([['id', 'x'], ['status', 'ok']])).toBe('id      x\nstatus  ok');
    expect(shortTime('2026-12-02T17:03:24.123Z')).toBe('2026-12-02 17:03:24');
    expect(shortTime(null)).toBe('-');
  });

  it('prints JSON only with --json (notes silent), human text and notes on stderr without', () => {
    const out = capture();
    const err = capture();
    const json = cliOutput(true, out.stream, err.stream);
    json.note('run r1');
    json.event({ event: 'run', run_id: 'r1' });
    json.result({ a: 1 }, () => 'human');
    expect(out.text()).toBe('{"event":"run","run_id":"r1"}\n{\n  "a": 1\n}\n');
    expect(err.text()).toBe('');

    const out2 = capture();
    const err2 = capture();
    const human = cliOutput(false, out2.stream, err2.stream);
    human.note('run r1');
    human.event({ event: 'run' });
    human.result({ a: 1 }, () => 'human');
    expect(out2.text()).toBe('human\n');
    expect(err2.text()).toBe('run r1\n');
  });
});
