import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../src/index.js';

const root = path.resolve(import.meta.dirname, '../../..');

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Logs one line from a child process whose stdout is a pipe, or a pseudo-terminal made by script(1). */
function childOutput(tty: boolean): string {
  const program =
    "import { createLogger } from './libs/config/src/logger.ts';" +
    "createLogger('probe', 'info').info({ authorization: 'Bearer sk-secret', runId: 'r1' }, 'hello from the probe');";
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', JSON.stringify(program)].join(' ');
  if (!tty) return execFileSync('sh', ['-c', node], { cwd: root, encoding: 'utf8' });
  // script gives the child a terminal for its stdout; -e passes on its exit status.
  return execFileSync('script', ['-qec', node, '/dev/null'], { cwd: root, encoding: 'utf8' });
}

describe('createLogger', () => {
  it('writes JSON lines when the output is not a terminal, with secrets redacted', () => {
    const out = capture();
    createLogger('test', 'info', { tty: false, stream: out.stream }).info({ authorization: 'Bearer sk-secret', runId: 'r1' }, 'hi');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ app: 'test', msg: 'hi', runId: 'r1', authorization: '***' });
  });

  it('writes readable lines to a terminal, still redacted', () => {
    const out = capture();
    createLogger('test', 'info', { tty: true, stream: out.stream }).warn({ authorization: 'Bearer sk-secret' }, 'careful');
    const text = out.text();
    expect(text.trimStart().startsWith('{')).toBe(false);
    expect(text).toContain('WARN');
    expect(text).toContain('careful');
    expect(text).not.toContain('sk-secret');
  });

  it('picks the format from whether stdout really is a terminal', () => {
    const piped = childOutput(false).trim();
    expect(JSON.parse(piped)).toMatchObject({ app: 'probe', msg: 'hello from the probe', authorization: '***' });
    const terminal = childOutput(true);
    expect(terminal).toContain('hello from the probe');
    expect(terminal).toContain('INFO');
    expect(terminal).not.toContain('sk-secret');
    expect(terminal.trimStart().startsWith('{')).toBe(false);
  });
});
