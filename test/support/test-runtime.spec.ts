import { chooseTestRuntime, requestedTestRuntime, TestRuntimeError, type EngineProbe } from './test-runtime';

const NOT_PROBED: EngineProbe = { state: 'not-probed' };
const NO_ENGINE: EngineProbe = { state: 'unreachable', reason: 'Could not find a working container runtime strategy' };
const LINUX_ENGINE: EngineProbe = { state: 'reachable', engine: 'Ubuntu 24.04 (engine 28.2.2) at localhost', sharesHostNetwork: true };
const DESKTOP_ENGINE: EngineProbe = { state: 'reachable', engine: 'Docker Desktop (engine 28.3.0) at localhost', sharesHostNetwork: false };

/** The runtime chosen for a variable value and a probe result, or the error's message. */
function outcome(value: string | undefined, engine: EngineProbe): string {
  try {
    return chooseTestRuntime(requestedTestRuntime(value), engine).runtime;
  } catch (error) {
    if (!(error instanceof TestRuntimeError)) throw error;
    return `error: ${error.message}`;
  }
}

describe('requestedTestRuntime', () => {
  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['auto', 'auto'],
    ['local', 'local'],
    ['containers', 'containers'],
  ])('%p asks for %s', (value, requested) => {
    expect(requestedTestRuntime(value)).toBe(requested);
  });

  it.each(['docker', 'Containers', 'local '])('refuses %p, naming the valid values', (value) => {
    expect(() => requestedTestRuntime(value)).toThrow(new TestRuntimeError(`SESSIONWIRE_TEST_RUNTIME=${value} is not one of auto, local, containers.`));
  });
});

describe('chooseTestRuntime', () => {
  it.each([
    // value, engine probe, runtime
    ['local', NOT_PROBED, 'local'],
    ['local', LINUX_ENGINE, 'local'],
    [undefined, NO_ENGINE, 'local'],
    ['auto', NO_ENGINE, 'local'],
    ['auto', LINUX_ENGINE, 'containers'],
    // Its containers would not share our 127.0.0.1: auto does not gamble on Docker Desktop's host networking.
    ['auto', DESKTOP_ENGINE, 'local'],
    ['containers', LINUX_ENGINE, 'containers'],
    // Asked for explicitly: the user has enabled Docker Desktop's host networking.
    ['containers', DESKTOP_ENGINE, 'containers'],
  ])('%p with %j → %s', (value, engine, runtime) => {
    expect(outcome(value, engine)).toBe(runtime);
  });

  it('containers without an engine fails, with the probe’s reason and the way out', () => {
    expect(outcome('containers', NO_ENGINE)).toBe(
      'error: SESSIONWIRE_TEST_RUNTIME=containers, but no container engine answers (Could not find a working container runtime strategy). ' +
        'Start Docker (or point DOCKER_HOST at an engine), or run with SESSIONWIRE_TEST_RUNTIME=auto or local.',
    );
  });

  it('auto and containers refuse to choose without a probe (only local needs none)', () => {
    expect(outcome('auto', NOT_PROBED)).toMatch(/^error: SESSIONWIRE_TEST_RUNTIME=auto needs the container engine probed first/);
    expect(outcome('containers', NOT_PROBED)).toMatch(/^error: SESSIONWIRE_TEST_RUNTIME=containers needs the container engine probed first/);
  });

  it('says why, for the line the run prints', () => {
    expect(chooseTestRuntime('auto', NO_ENGINE).reason).toBe('auto: no container engine (Could not find a working container runtime strategy)');
    expect(chooseTestRuntime('auto', LINUX_ENGINE).reason).toBe('auto: Ubuntu 24.04 (engine 28.2.2) at localhost');
    expect(chooseTestRuntime('auto', DESKTOP_ENGINE).reason).toBe(
      'auto: Docker Desktop (engine 28.3.0) at localhost does not share this machine’s network (set SESSIONWIRE_TEST_RUNTIME=containers to use it anyway)',
    );
    expect(chooseTestRuntime('local', NOT_PROBED).reason).toBe('SESSIONWIRE_TEST_RUNTIME=local');
  });
});
