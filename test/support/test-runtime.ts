import { z } from 'zod';

/**
 * Where the integration harness runs the standalone Redis and nginx: as local processes (redis-server and
 * nginx from PATH) or in containers on a Docker engine (testcontainers). The Redis Sentinel and Cluster
 * harnesses, the apps and `npm start` are local processes in both.
 */
export type TestRuntime = 'local' | 'containers';

/** The variable that chooses the runtime; the integration project's global setup replaces it with the choice. */
export const TEST_RUNTIME_VARIABLE = 'SESSIONWIRE_TEST_RUNTIME';

const requestedRuntimeSchema = z.enum(['auto', 'local', 'containers']);

/** What the variable asks for: `auto` (the default) takes containers when a usable engine answers. */
export type RequestedTestRuntime = z.infer<typeof requestedRuntimeSchema>;

/** What the engine probe found. `local` runs are never probed. */
export type EngineProbe =
  | { state: 'not-probed' }
  | { state: 'unreachable'; reason: string }
  | {
      state: 'reachable';
      /** The engine as people know it, e.g. `Docker 28.2.2 on Ubuntu 24.04 (localhost)`. */
      engine: string;
      /**
       * Its containers share this machine's network with `--network host` (a Linux engine on this machine): the
       * containers listen on and reach the same 127.0.0.1 as the test process and the apps.
       */
      sharesHostNetwork: boolean;
    };

export interface RuntimeChoice {
  runtime: TestRuntime;
  /** Why, for the line a run prints. */
  reason: string;
}

export class TestRuntimeError extends Error {
  override readonly name = 'TestRuntimeError';
}

/** The variable's value (unset or empty: `auto`); any other value is an error that lists the valid ones. */
export function requestedTestRuntime(value: string | undefined): RequestedTestRuntime {
  const parsed = requestedRuntimeSchema.safeParse(value === undefined || value === '' ? 'auto' : value);
  if (!parsed.success) {
    throw new TestRuntimeError(`${TEST_RUNTIME_VARIABLE}=${value} is not one of ${requestedRuntimeSchema.options.join(', ')}.`);
  }
  return parsed.data;
}

/**
 * The runtime of a run. `auto` takes containers only from an engine that shares this machine's network (the
 * harness runs nginx and Redis with host networking), else stays local; `containers` insists and fails when no
 * engine answers, so a run meant for containers never quietly tests local binaries.
 */
export function chooseTestRuntime(requested: RequestedTestRuntime, engine: EngineProbe): RuntimeChoice {
  if (requested === 'local') return { runtime: 'local', reason: `${TEST_RUNTIME_VARIABLE}=local` };
  if (engine.state === 'not-probed') throw new TestRuntimeError(`${TEST_RUNTIME_VARIABLE}=${requested} needs the container engine probed first.`);
  if (requested === 'containers') {
    if (engine.state === 'unreachable') {
      throw new TestRuntimeError(
        `${TEST_RUNTIME_VARIABLE}=containers, but no container engine answers (${engine.reason}). ` +
          `Start Docker (or point DOCKER_HOST at an engine), or run with ${TEST_RUNTIME_VARIABLE}=auto or local.`,
      );
    }
    const caveat = engine.sharesHostNetwork ? '' : '; its containers must share this machine’s network (Docker Desktop: enable host networking)';
    return { runtime: 'containers', reason: `${TEST_RUNTIME_VARIABLE}=containers, ${engine.engine}${caveat}` };
  }
  if (engine.state === 'unreachable') return { runtime: 'local', reason: `auto: no container engine (${engine.reason})` };
  if (!engine.sharesHostNetwork) {
    return {
      runtime: 'local',
      reason: `auto: ${engine.engine} does not share this machine’s network (set ${TEST_RUNTIME_VARIABLE}=containers to use it anyway)`,
    };
  }
  return { runtime: 'containers', reason: `auto: ${engine.engine}` };
}

/**
 * The runtime the global setup (test-runtime.global-setup.ts) chose for this run, for the harness to start its
 * servers with.
 */
export function runtimeOfThisRun(): TestRuntime {
  const value = process.env[TEST_RUNTIME_VARIABLE];
  if (value === 'local' || value === 'containers') return value;
  throw new TestRuntimeError(
    `${TEST_RUNTIME_VARIABLE} is ${value ?? 'unset'} here: the integration project's global setup resolves it to local or containers; run the suites through Jest's integration project.`,
  );
}
