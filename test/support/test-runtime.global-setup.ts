import { probeContainerEngine, pullTestImages } from './container-engine';
import { chooseTestRuntime, requestedTestRuntime, TEST_RUNTIME_VARIABLE, type EngineProbe } from './test-runtime';

/**
 * The integration project's global setup: chooses where the harness runs Redis and nginx for the whole run,
 * says so in one line, and leaves the choice in SESSIONWIRE_TEST_RUNTIME (`local` or `containers`) for the
 * suites, which Jest runs in this process's environment. A `containers` run without an engine ends here.
 */
export default async function chooseRuntimeForThisRun(): Promise<void> {
  const requested = requestedTestRuntime(process.env[TEST_RUNTIME_VARIABLE]);
  const probeStarted = performance.now();
  const engine: EngineProbe = requested === 'local' ? { state: 'not-probed' } : await probeContainerEngine();
  const probe = engine.state === 'not-probed' ? '' : `; engine probe ${Math.round(performance.now() - probeStarted)} ms`;
  const choice = chooseTestRuntime(requested, engine);
  if (choice.runtime === 'containers') await pullTestImages();
  process.env[TEST_RUNTIME_VARIABLE] = choice.runtime;
  const servers = choice.runtime === 'containers' ? 'Redis and nginx in containers' : 'local redis-server and nginx';
  process.stdout.write(`\nIntegration runtime: ${choice.runtime}, ${servers} (${choice.reason}${probe})\n`);
}
