/**
 * The quality signals of a benchmark, kept deliberately simple so a reader can check them by hand:
 * - `token-f1`: the SQuAD-style F1 of the answer's tokens against the reference answer's tokens (lowercased,
 *   punctuation dropped, split on whitespace; overlap counted per token with multiplicity);
 * - `contains`: 1 when the expected answer's tokens appear, in order and adjacent, in the answer's tokens, else 0.
 */
export function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export function tokenF1(answer: string, reference: string): number {
  const a = tokens(answer);
  const r = tokens(reference);
  if (a.length === 0 || r.length === 0) return a.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of a) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(t, left - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / a.length;
  const recall = overlap / r.length;
  return (2 * precision * recall) / (precision + recall);
}

export function containsAnswer(answer: string, expected: string): number {
  const a = ` ${tokens(answer).join(' ')} `;
  const e = tokens(expected).join(' ');
  return e !== '' && a.includes(` ${e} `) ? 1 : 0;
}
