import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

export interface SoakOptions {
  seed: number;
  durationMs: number;
  /** Distinct users; each logs in many times, so sessions far outnumber them. */
  users: number;
  /** Live sessions the schedule keeps around (logins make up for the sessions the operations end). */
  liveSessions: number;
  /** Mean time before a session may be ended by an operation; with `liveSessions` it sets how many sessions a run makes. */
  sessionLifetimeMs: number;
  /** A quiet period (no operations, no faults) every so often, to check that the registry converges. */
  quietEveryMs: number;
  /** Mean pause between two faults. */
  faultGapMs: number;
  quick: boolean;
  /** Where the report goes (`soak/results`). */
  resultsDir: string;
}

export const USAGE = `Usage: npm run soak -- [--quick] [--seed N] [--duration 10m] [--users N] [--live-sessions N] [--out DIR]

  --quick            about 2½ minutes (what CI runs); the defaults below are the full run's
  --seed N           the schedule's seed (printed at the start; give it again to replay a run's schedule)
  --duration D       how long operations and faults run, e.g. 600s or 10m (default 10m; quick 100s)
  --users N          distinct users (default 300; quick 60)
  --live-sessions N  live sessions kept around (default 200; quick 60)
  --out DIR          where the report is written (default soak/results; quick: soak/results/quick)`;

export class SoakUsageError extends Error {
  override readonly name = 'SoakUsageError';
}

/** The command line, validated; `--quick` changes the defaults, explicit options still win. */
export function readSoakOptions(argv: string[], root: string): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      seed: { type: 'string' },
      duration: { type: 'string' },
      users: { type: 'string' },
      'live-sessions': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) throw new SoakUsageError(USAGE);
  const quick = values.quick;
  const seed = values.seed === undefined ? randomInt(1, 2 ** 31) : positiveInteger('--seed', values.seed);
  return {
    seed,
    quick,
    durationMs: values.duration === undefined ? (quick ? 100_000 : 600_000) : duration(values.duration),
    users: values.users === undefined ? (quick ? 60 : 300) : positiveInteger('--users', values.users),
    liveSessions: values['live-sessions'] === undefined ? (quick ? 60 : 200) : positiveInteger('--live-sessions', values['live-sessions']),
    sessionLifetimeMs: quick ? 40_000 : 60_000,
    quietEveryMs: quick ? 50_000 : 120_000,
    faultGapMs: quick ? 1_500 : 800,
    resultsDir: values.out ?? `${root}/soak/results${quick ? '/quick' : ''}`,
  };
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new SoakUsageError(`${name} must be a positive integer (got "${text}")\n\n${USAGE}`);
  return value;
}

function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new SoakUsageError(`--duration must look like 90s, 10m or 600000ms (got "${text}")\n\n${USAGE}`);
  const unit = { ms: 1, s: 1000, m: 60_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}
