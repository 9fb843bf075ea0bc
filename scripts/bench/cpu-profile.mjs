#!/usr/bin/env node
// Where a CPU profile's time went: `node scripts/bench/cpu-profile.mjs <file.cpuprofile> [from]`, for a profile
// written by `node --cpu-prof` (the bench passes it to the platform with BENCH_NODE_ARGS="--cpu-prof
// --cpu-prof-dir=DIR"; one file per thread, the main thread's first). `from` (0-1, default 0.5) skips that
// share of the profile's time, start-up and the phases before the one measured. Prints self time by package
// (node_modules package, workspace app or lib, else V8's own entries such as writev or the garbage collector)
// and by function, each as a share of the samples kept, idle included.
import { readFileSync } from 'node:fs';

const [file, fromArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/bench/cpu-profile.mjs <file.cpuprofile> [from 0-1]');
  process.exit(2);
}
const from = Number(fromArg ?? 0.5);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

const where = (url) => url.replace(/.*\/(node_modules|work\/main)\//, '');
const fn = (cf) => `${cf.functionName || '(anonymous)'} ${where(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
const pkg = (cf) =>
  /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url)?.[1] ?? /\/((?:apps|libs)\/[^/]+)\//.exec(cf.url)?.[1] ?? (cf.url ? where(cf.url) : cf.functionName);

const times = [];
let t = 0;
for (const d of profile.timeDeltas) times.push((t += d));
const start = t * from;
const byFn = new Map();
const byPkg = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  if (times[i] < start) return;
  const d = profile.timeDeltas[i];
  const cf = nodes.get(id).callFrame;
  total += d;
  byFn.set(fn(cf), (byFn.get(fn(cf)) ?? 0) + d);
  byPkg.set(pkg(cf), (byPkg.get(pkg(cf)) ?? 0) + d);
});
const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
console.log(`${(total / 1000).toFixed(0)} ms of samples from ${(from * 100).toFixed(0)}% of the profile on`);
console.log('by package (self):');
console.log(top(byPkg, 15).join('\n'));
console.log('by function (self):');
console.log(top(byFn, 20).join('\n'));
