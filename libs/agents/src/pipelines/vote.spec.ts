import { describe, expect, it } from '@jest/globals';
import { normalizeAnswer, vote } from './vote.js';

describe('normalizeAnswer', () => {
  it('ignores case, surrounding and repeated whitespace, and trailing punctuation', () => {
    expect(normalizeAnswer('  The   capital is\nParis.  ')).toBe('the capital is paris');
    expect(normalizeAnswer('Yes!!')).toBe('yes');
    expect(normalizeAnswer('Really?!…')).toBe('really');
  });

  it('keeps punctuation inside the answer and leading punctuation', () => {
    expect(normalizeAnswer('3.14')).toBe('3.14');
    expect(normalizeAnswer('"quoted"')).toBe('"quoted"');
    expect(normalizeAnswer('-1.')).toBe('-1');
  });
});

describe('vote', () => {
  const answers = (...texts: string[]): { model: string; text: string }[] => texts.map((text, i) => ({ model: `m${i + 1}`, text }));

  it('picks the majority, written as its first giver wrote it, and keeps the tally', () => {
    expect(vote(answers('Lyon', ' paris. ', 'PARIS', 'Paris!'))).toEqual({
      winner: 'paris.',
      tally: [
        { answer: 'paris', count: 3, models: ['m2', 'm3', 'm4'] },
        { answer: 'lyon', count: 1, models: ['m1'] },
      ],
    });
  });

  it('breaks a tie in favour of the answer given first', () => {
    expect(vote(answers('no', 'yes', 'Yes.', 'No')).winner).toBe('no');
    expect(vote(answers('b', 'a')).winner).toBe('b');
    expect(vote(answers('b', 'a')).tally.map((t) => t.answer)).toEqual(['b', 'a']);
  });

  it('lets an empty answer win only when every answer is empty', () => {
    expect(vote(answers('', ' ', 'ok')).winner).toBe('ok');
    expect(vote(answers('', '  ')).winner).toBe('');
  });
});
