import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TailPositions } from '../src/tail-positions.js';

const state = mkdtempSync(path.join(tmpdir(), 'sb-tail-positions-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

describe('TailPositions', () => {
  it('keeps the last event id per run under $XDG_STATE_HOME/switchboard/runs until the run is followed to its end', () => {
    const positions = new TailPositions({ XDG_STATE_HOME: state });
    expect(positions.get('r1')).toBeNull();
    positions.save('r1', '12');
    positions.save('r2', '3');
    expect(positions.get('r1')).toBe('12');
    expect(readdirSync(path.join(state, 'switchboard', 'runs')).sort()).toEqual(['r1', 'r2']);
    positions.forget('r1');
    expect(positions.get('r1')).toBeNull();
    expect(positions.get('r2')).toBe('3');
    // Another process (another CLI) reads what this one saved.
    expect(new TailPositions({ XDG_STATE_HOME: state }).get('r2')).toBe('3');
  });

  it('falls back to ~/.local/state, ignores a file that is not an event id, and never leaves its folder', () => {
    const home = path.join(state, 'home');
    const positions = new TailPositions({ HOME: home });
    positions.save('../../escape', '5');
    expect(readdirSync(path.join(home, '.local', 'state', 'switchboard', 'runs'))).toEqual(['______escape']);
    expect(positions.get('../../escape')).toBe('5');
    writeFileSync(path.join(home, '.local', 'state', 'switchboard', 'runs', 'bad'), 'not a number\n');
    expect(positions.get('bad')).toBeNull();
  });
});
