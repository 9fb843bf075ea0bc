import type { PipelineVoteTally } from '@switchboard/contracts';

/**
 * The form answers are compared in: "Paris.", " paris " and "PARIS!" are one vote. Trailing punctuation goes
 * because models disagree on full stops far more often than on answers.
 */
export function normalizeAnswer(text: string): string {
  return text
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .replace(/[\s.!?,;:…。！？]+$/u, '');
}

export interface VoteResult {
  /** The winning answer as its first giver wrote it (trimmed). */
  winner: string;
  /** Most votes first; equal counts keep the order in which the answers were first given. */
  tally: PipelineVoteTally[];
}

/**
 * Majority vote over the answers, given in `models` order. A tie goes to the answer given first, so the
 * order of `models` is the tie-break a person can predict. An empty answer wins only when all are empty.
 */
export function vote(answers: readonly { model: string; text: string }[]): VoteResult {
  const byAnswer = new Map<string, { tally: PipelineVoteTally; text: string }>();
  for (const { model, text } of answers) {
    const key = normalizeAnswer(text);
    const entry = byAnswer.get(key);
    if (entry) {
      entry.tally.count++;
      entry.tally.models.push(model);
    } else {
      byAnswer.set(key, { tally: { answer: key, count: 1, models: [model] }, text: text.trim() });
    }
  }
  // Array.prototype.sort is stable: equal counts stay in first-given order.
  const ranked = [...byAnswer.values()].sort((a, b) => b.tally.count - a.tally.count);
  const winner = ranked.find((e) => e.tally.answer !== '') ?? ranked[0];
  return { winner: winner?.text ?? '', tally: ranked.map((e) => e.tally) };
}
