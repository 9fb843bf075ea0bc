#!/usr/bin/env node
// `npm run test:repeat -- <runs> [--load[=N]] [--no-build] [jest path patterns...]`: runs the Jest suite <runs>
// times in a row (default 5) and reports every test that failed in any run, with the runs it failed in, so a
// flaky test shows up as what it is instead of as one red CI run.
//   --load[=N]   keep N busy-loop child processes running meanwhile (default 1: the other core of a 2-core
//                machine), since CI shares the machine with other builds
//   --no-build   skip the build and lint that `npm test` does first (done once, before the first run, otherwise)
//   patterns     passed to Jest as they are, e.g. `e2e libs/queue` for the timing-sensitive suites only
// Each run's Jest JSON report and log go to tmp/test-repeat/<stamp>/ (git-ignored). Exit code 1 if any test failed.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function parseArgs(argv) {
  const options = { runs: 5, load: 0, build: true, patterns: [] };
  for (const arg of argv) {
    if (/^\d+$/.test(arg)) options.runs = Number(arg);
    else if (arg === '--load') options.load = 1;
    else if (arg.startsWith('--load=')) options.load = Number(arg.slice('--load='.length));
    else if (arg === '--no-build') options.build = false;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (see the head of scripts/test-repeat.mjs)`);
    else options.patterns.push(arg);
  }
  if (!(options.runs >= 1)) throw new Error('the number of runs must be at least 1');
  if (!Number.isInteger(options.load) || options.load < 0) throw new Error('--load=N needs a whole number N >= 0');
  return options;
}

/** Busy loops in child processes of their own; the returned function ends exactly those (by pid). */
function startLoad(n) {
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
}

function runJest(patterns, jsonFile, logFile) {
  const args = ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand=false', '--json', `--outputFile=${jsonFile}`, ...patterns];
  return new Promise((resolve) => {
    const started = Date.now();
    // Written as it comes, so a run in progress can be followed with tail -f.
    const log = createWriteStream(logFile);
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('close', (code) => log.end(() => resolve({ code, seconds: Math.round((Date.now() - started) / 1000) })));
  });
}

/** Failed tests of one Jest JSON report; a suite that failed outside any test (it did not load, a hook threw) counts as one. */
function failuresOf(report) {
  const failed = [];
  for (const suite of report.testResults ?? []) {
    const file = path.relative(root, suite.name);
    const tests = (suite.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const t of tests) failed.push({ id: `${file} › ${t.fullName}`, message: (t.failureMessages ?? []).join('\n') });
    if (tests.length === 0 && suite.status === 'failed') failed.push({ id: `${file} (suite)`, message: suite.message ?? '' });
  }
  return failed;
}

/** The first lines of a failure message that say what went wrong (stack frames left out). */
const gist = (message) =>
  message
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l))
    .slice(0, 6)
    .join('\n      ');

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.join(root, 'tmp', 'test-repeat', stamp);
  mkdirSync(outDir, { recursive: true });
  const what = options.patterns.length ? options.patterns.join(' ') : 'the whole suite';
  console.log(`test:repeat: ${options.runs} run(s) of ${what}${options.load ? `, ${options.load} busy loop(s) running` : ''}; reports in ${path.relative(root, outDir)}`);

  if (options.build) {
    for (const script of ['build', 'lint']) {
      const r = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: 'inherit' });
      if (r.status !== 0) {
        console.error(`test:repeat: npm run ${script} failed; nothing was run`);
        process.exit(1);
      }
    }
  }

  const stopLoad = startLoad(options.load);
  const onSignal = () => {
    stopLoad();
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  /** test id -> { runs: number[], message } */
  const failures = new Map();
  const runs = [];
  try {
    for (let i = 1; i <= options.runs; i++) {
      const jsonFile = path.join(outDir, `run-${i}.json`);
      const { code, seconds } = await runJest(options.patterns, jsonFile, path.join(outDir, `run-${i}.log`));
      let report;
      try {
        report = JSON.parse(readFileSync(jsonFile, 'utf8'));
      } catch {
        report = null;
      }
      const failed = report ? failuresOf(report) : [{ id: '(jest wrote no report)', message: `exit code ${code}; see run-${i}.log` }];
      for (const f of failed) {
        const entry = failures.get(f.id) ?? { runs: [], message: f.message };
        entry.runs.push(i);
        failures.set(f.id, entry);
      }
      const counts = report ? `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numTotalTests} total tests in ${report.numTotalTestSuites} suites` : 'no report';
      runs.push({ run: i, seconds, counts, failed: failed.length });
      const byFile = new Map();
      for (const f of failed) byFile.set(f.id.split(' ')[0], (byFile.get(f.id.split(' ')[0]) ?? 0) + 1);
      const where = [...byFile].map(([file, n]) => `${file} (${n})`).join(', ');
      console.log(`run ${i}/${options.runs}: ${counts}, ${seconds} s${failed.length ? ` — failures in ${where}` : ''}`);
    }
  } finally {
    stopLoad();
  }

  console.log(`\ntest:repeat summary (${what}${options.load ? `, loaded with ${options.load} busy loop(s)` : ''}):`);
  for (const r of runs) console.log(`  run ${r.run}: ${r.counts}, ${r.seconds} s`);
  if (failures.size === 0) {
    console.log(`  no test failed in any of the ${options.runs} run(s)`);
    return;
  }
  console.log(`  ${failures.size} test(s) failed in at least one run:`);
  for (const [id, { runs: inRuns, message }] of failures) {
    console.log(`  - ${id}\n    failed in run(s) ${inRuns.join(', ')} of ${options.runs}\n      ${gist(message)}`);
  }
  process.exitCode = 1;
}

main().catch((error) => {
  console.error(`test:repeat: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
