#!/usr/bin/env node
// `npm run validate:deploy`: static checks of the container deployment, for machines without a Docker engine.
//   - docker-compose.yml: `docker compose config -q` (or the standalone `docker-compose` v1), then checks of
//     the resolved configuration (health-gated start order on readiness, trusted proxy address, secrets,
//     replicas, a stop grace period that covers the gateways' drain…);
//   - docker-compose.cluster.yml over it: the same checks, plus the Redis Cluster (6 cluster-mode nodes with AOF
//     and volumes, the one-shot `--cluster create`, the apps on REDIS_TOPOLOGY=cluster waiting for it);
//   - Dockerfile and .dockerignore: hadolint when installed, plus our own rules (multi-stage, non-root user,
//     no devDependencies in the runtime stage, exec-form CMD);
//   - nginx/nginx.conf.template: every placeholder is provided by compose, and the file as `npm start`
//     renders it (plain and with --tls) passes `nginx -t`;
//   - deploy/kubernetes: every overlay rendered with kustomize, validated against the Kubernetes API schemas, and
//     checked against the code (probe paths, config variables, images, drain): scripts/lib/kubernetes-checks.mjs;
//   - deploy/observability: the alert rules pass `promtool check rules` and their unit tests, and the dashboard and
//     rules query only metrics the code registers: scripts/lib/observability-checks.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkKubernetes } from './lib/kubernetes-checks.mjs';
import { GATEWAY_SERVER_PARAMETERS, testNginxConfig, writeLocalNginxConfig } from './lib/nginx.mjs';
import { checkObservability } from './lib/observability-checks.mjs';
import { findExecutable } from './lib/prerequisites.mjs';
import { ensureDevCertificate } from './lib/tls.mjs';
import { parseYamlDocuments } from './lib/yaml.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const CLUSTER_OVERRIDE_FILE = join(ROOT, 'docker-compose.cluster.yml');
const TEMPLATE = join(ROOT, 'nginx/nginx.conf.template');

const results = [];

/** Records one check: `problem` undefined means it passed. */
function recordCheck(name, problem) {
  results.push({ name, problem });
  process.stdout.write(problem ? `FAIL ${name}\n     ${problem.replaceAll('\n', '\n     ')}\n` : `ok   ${name}\n`);
}

const check = recordCheck;

function note(message) {
  process.stdout.write(`note ${message}\n`);
}

function exec(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', cwd: ROOT, ...options });
}

// ---------------------------------------------------------------------------------------------- compose

/** The compose implementation available here: the v2 plugin, else the standalone v1 (Debian's docker-compose). */
function composeCommand() {
  if (exec('docker', ['compose', 'version']).status === 0) return { command: 'docker', prefix: ['compose'], v2: true };
  const standalone = findExecutable('docker-compose');
  if (standalone && exec(standalone, ['version']).status === 0) return { command: standalone, prefix: [], v2: false };
  return undefined;
}

/** The resolved compose configuration as an object (v2 prints JSON; v1 prints YAML, read with PyYAML). */
function resolvedComposeConfig(compose, files) {
  const args = [...compose.prefix, ...files.flatMap((file) => ['-f', file]), 'config'];
  if (compose.v2) return JSON.parse(exec(compose.command, [...args, '--format', 'json']).stdout);
  return parseYamlDocuments(exec(compose.command, args).stdout)?.[0];
}

/** Seconds in a compose duration (`30s`, `1m30s`, `500ms`), or undefined for anything else. */
function durationSeconds(value) {
  const text = String(value ?? '');
  const units = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit], 0);
}

function environmentOf(service) {
  const environment = service?.environment ?? {};
  if (!Array.isArray(environment)) return environment;
  return Object.fromEntries(environment.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/**
 * Validates `files` (merged in order) with compose and checks the resolved configuration; returns it, or
 * undefined when it could not be checked.
 */
function checkCompose(files, templatePlaceholders, dockerStages) {
  const name = files.map((file) => file.slice(ROOT.length + 1)).join(' + ');
  const check = (description, problem) => recordCheck(`${name}: ${description}`, problem);
  const compose = composeCommand();
  if (!compose) {
    check('compose validation', 'neither `docker compose` (plugin) nor `docker-compose` is installed. Debian: apt-get install -y docker-compose');
    return undefined;
  }
  const label = compose.v2 ? 'docker compose config -q' : 'docker-compose config -q (standalone v1)';
  const validated = exec(compose.command, [...compose.prefix, ...files.flatMap((file) => ['-f', file]), 'config', '-q']);
  check(label, validated.status === 0 ? undefined : (validated.stderr || validated.stdout).trim());
  if (validated.status !== 0) return undefined;

  const config = resolvedComposeConfig(compose, files);
  if (!config) {
    note(`skipped the checks of the resolved ${name}: no JSON output (compose v2) and no python3 with PyYAML`);
    return undefined;
  }
  const { services = {} } = config;
  const { redis, auth, gateway, nginx } = services;
  check('compose: services redis, auth, gateway, nginx', [redis, auth, gateway, nginx].every(Boolean) ? undefined : `found: ${Object.keys(services).join(', ')}`);
  if (![redis, auth, gateway, nginx].every(Boolean)) return;

  check('compose: redis persists with AOF and has a healthcheck', String(redis.command).includes('appendonly') && redis.healthcheck && redis.volumes?.length ? undefined : 'expected --appendonly yes, a volume and a healthcheck');

  const ungated = Object.entries({ auth, gateway, nginx }).flatMap(([name, service]) =>
    Object.entries(service.depends_on ?? {})
      // A one-shot init (the Redis Cluster's) gates by finishing successfully instead.
      .filter(([, dependency]) => !['service_healthy', 'service_completed_successfully'].includes(dependency?.condition))
      .map(([dependency]) => `${name} -> ${dependency}`),
  );
  const gated = auth.depends_on?.redis && gateway.depends_on?.auth && nginx.depends_on?.gateway;
  check('compose: start order waits for health (depends_on condition: service_healthy, or a finished init)', gated && ungated.length === 0 ? undefined : `not health-gated: ${ungated.join(', ') || 'missing depends_on'}`);

  check('compose: auth and gateway have healthchecks', auth.healthcheck && gateway.healthcheck ? undefined : 'missing healthcheck');
  // Readiness, not /health/live: the healthcheck gates the start order, and compose never restarts for it.
  const notOnReadiness = Object.entries({ auth, gateway }).filter(([, service]) => !/\/health\/ready\b/.test([service.healthcheck?.test ?? []].flat().join(' ')));
  check(
    'compose: auth and gateway healthchecks probe readiness (/health/ready)',
    notOnReadiness.length === 0 ? undefined : `not on /health/ready: ${notOnReadiness.map(([name]) => name).join(', ')}`,
  );

  // The gateway's own default DRAIN_WINDOW is 10 s, and Docker's default grace period 10 s too: the drain would be
  // SIGKILLed before its registry clean-up.
  const drainSeconds = Number(environmentOf(gateway).DRAIN_WINDOW ?? 10);
  const graceSeconds = durationSeconds(gateway.stop_grace_period ?? '10s');
  check(
    'compose: gateway stop_grace_period covers DRAIN_WINDOW plus the registry clean-up (>= DRAIN_WINDOW + 10 s)',
    graceSeconds !== undefined && graceSeconds >= drainSeconds + 10
      ? undefined
      : `stop_grace_period ${gateway.stop_grace_period ?? 'unset (Docker default 10s)'}, DRAIN_WINDOW ${drainSeconds} s`,
  );

  const authEnv = environmentOf(auth);
  const keyFile = authEnv.SIGNING_KEY_FILE ?? '';
  const secretMounted = (auth.secrets ?? []).some((secret) => keyFile === `/run/secrets/${secret.source ?? secret}`);
  check(
    'compose: auth signs with a mounted secret, never a generated dev key',
    String(authEnv.ALLOW_DEV_SIGNING_KEY) === 'false' && secretMounted && !authEnv.SIGNING_KEY ? undefined : 'expected ALLOW_DEV_SIGNING_KEY=false, SIGNING_KEY_FILE=/run/secrets/<secret of auth>, no SIGNING_KEY',
  );

  const rotationSlotsMounted = ['SIGNING_KEY_NEXT_FILE', 'SIGNING_KEY_PREVIOUS_FILE'].every((variable) =>
    (auth.secrets ?? []).some((secret) => authEnv[variable] === `/run/secrets/${secret.source ?? secret}`),
  );
  check(
    'compose: auth publishes the next and previous signing keys from mounted secrets (key rotation)',
    rotationSlotsMounted ? undefined : 'expected SIGNING_KEY_NEXT_FILE and SIGNING_KEY_PREVIOUS_FILE=/run/secrets/<secret of auth>',
  );

  // File secrets are bind mounts: the host file's owner and mode apply, and compose ignores uid/gid/mode on them.
  const fileSecrets = new Set(Object.entries(config.secrets ?? {}).filter(([, secret]) => secret?.file).map(([name]) => name));
  const ignoredOwnership = Object.entries(services).flatMap(([name, service]) =>
    (service.secrets ?? [])
      .filter((secret) => typeof secret === 'object' && fileSecrets.has(secret.source) && [secret.uid, secret.gid, secret.mode].some((field) => field !== undefined))
      .map((secret) => `${name} -> ${secret.source}`),
  );
  check(
    'compose: no uid/gid/mode on file-based secrets (ignored on bind mounts; set owner and mode on the host file)',
    ignoredOwnership.length === 0 ? undefined : `ignored by compose: ${ignoredOwnership.join(', ')}`,
  );

  const replicas = gateway.deploy?.replicas ?? 1;
  check('compose: several gateway replicas', replicas >= 2 ? undefined : `deploy.replicas is ${replicas}`);

  const nginxAddress = Object.values(nginx.networks ?? {}).find((network) => network?.ipv4_address)?.ipv4_address;
  const trust = [authEnv.TRUST_PROXY, environmentOf(gateway).TRUST_PROXY];
  check(
    'compose: apps trust only nginx for X-Forwarded-* (TRUST_PROXY = nginx address)',
    nginxAddress && trust.every((value) => value === nginxAddress) ? undefined : `nginx address ${nginxAddress}, TRUST_PROXY ${trust.join(' / ')}`,
  );

  const published = Object.entries(services).filter(([name, service]) => name !== 'nginx' && service.ports?.length);
  check('compose: only nginx publishes a port', published.length === 0 ? undefined : `also published: ${published.map(([name]) => name).join(', ')}`);

  const nginxEnv = environmentOf(nginx);
  const missing = templatePlaceholders.filter((name) => nginxEnv[name] === undefined);
  const mountsTemplate = (nginx.volumes ?? []).some((volume) => String(volume.target ?? volume).includes('/etc/nginx/templates/nginx.conf.template'));
  check(
    'compose: nginx renders nginx/nginx.conf.template as its whole nginx.conf',
    missing.length === 0 && mountsTemplate && nginxEnv.NGINX_ENVSUBST_OUTPUT_DIR === '/etc/nginx'
      ? undefined
      : `missing placeholders: ${missing.join(', ') || 'none'}; template mounted: ${mountsTemplate}; NGINX_ENVSUBST_OUTPUT_DIR=${nginxEnv.NGINX_ENVSUBST_OUTPUT_DIR}`,
  );
  check('compose: nginx workers run as the image\'s unprivileged user', nginxEnv.NGINX_USER === 'user nginx;' ? undefined : `NGINX_USER is ${nginxEnv.NGINX_USER}, expected "user nginx;"`);
  const resolving = /\bresolve\b/.test(nginxEnv.GATEWAY_SERVERS ?? '') && /resolver 127\.0\.0\.11/.test(nginxEnv.NGINX_RESOLVER ?? '');
  check('compose: nginx re-resolves the scaled `gateway` name through Docker DNS', resolving ? undefined : 'expected `server gateway:3000 resolve …;` and `resolver 127.0.0.11`');
  check(
    `compose: the gateways' server line has the launcher's parameters (${GATEWAY_SERVER_PARAMETERS})`,
    (nginxEnv.GATEWAY_SERVERS ?? '').includes(GATEWAY_SERVER_PARAMETERS) ? undefined : `GATEWAY_SERVERS is "${nginxEnv.GATEWAY_SERVERS}"`,
  );
  // nginx is either pulled (`image`) or built from a stage of our Dockerfile (`build.target`): check the base it runs.
  const nginxStage = nginx.build ? dockerStages.find((stage) => stage.name === nginx.build.target) : undefined;
  const nginxImage = nginx.build ? nginxStage?.image : nginx.image;
  const nginxVersion = String(nginxImage).match(/^nginx:(\d+)\.(\d+)(?:\.(\d+))?/);
  const supportsResolve = nginxVersion && (Number(nginxVersion[1]) > 1 || Number(nginxVersion[2]) >= 28 || (Number(nginxVersion[2]) === 27 && Number(nginxVersion[3] ?? 99) >= 3));
  check(
    'compose: nginx image supports `server … resolve` (open source since 1.27.3)',
    supportsResolve ? undefined : `image ${nginxImage ?? `(no Dockerfile stage named ${nginx.build?.target})`}`,
  );

  // The demo page imports the client SDK bundle from /vendor/ (VENDOR_ROOT): the image must carry it.
  const vendorRoot = nginxEnv.VENDOR_ROOT ?? '';
  const vendorCopied = (nginxStage?.instructions ?? []).some(
    (instruction) => instruction.keyword === 'COPY' && /\/dist\/client\/sessionwire-client\.js\b/.test(instruction.args) && instruction.args.trim().split(/\s+/).at(-1).replace(/\/$/, '') === vendorRoot.replace(/\/$/, ''),
  );
  check(
    'compose: nginx image has the client SDK bundle at VENDOR_ROOT (Dockerfile edge stage)',
    vendorCopied ? undefined : `expected nginx built from a Dockerfile stage that copies dist/client/sessionwire-client.js (npm run build:client) into VENDOR_ROOT (${vendorRoot || 'unset'})`,
  );
  return config;
}

/** The Redis Cluster of docker-compose.cluster.yml, as resolved over docker-compose.yml. */
function checkRedisCluster({ services = {} }) {
  const check = (description, problem) => recordCheck(`docker-compose.cluster.yml: ${description}`, problem);
  const commandOf = (service) => [service?.command ?? []].flat().join(' ');
  const nodes = Object.entries(services).filter(([, service]) => /--cluster-enabled yes/.test(commandOf(service)));
  const addressOf = (service) => Object.values(service.networks ?? {}).find((network) => network?.ipv4_address)?.ipv4_address;
  const incomplete = nodes.filter(([, service]) => !/--appendonly yes/.test(commandOf(service)) || !service.volumes?.length || !service.healthcheck || !addressOf(service));
  check(
    'compose: 6 Redis Cluster nodes (3 masters + 3 replicas), each with AOF, a volume, a healthcheck and a fixed address',
    nodes.length === 6 && incomplete.length === 0 && services.redis && nodes.some(([name]) => name === 'redis')
      ? undefined
      : `cluster-mode nodes: ${nodes.map(([name]) => name).join(', ') || 'none'}; incomplete: ${incomplete.map(([name]) => name).join(', ') || 'none'}`,
  );
  const addresses = nodes.map(([, service]) => `${addressOf(service)}:6379`);
  const init = services['redis-cluster-init'];
  const initCommand = commandOf(init);
  const unlisted = addresses.filter((address) => !initCommand.includes(address));
  check(
    'compose: redis-cluster-init creates the cluster once (--cluster create of every node, 1 replica each) and runs once',
    init && /--cluster create/.test(initCommand) && /--cluster-replicas 1\b/.test(initCommand) && unlisted.length === 0 && init.restart === 'no'
      ? undefined
      : `init: ${init ? initCommand : 'missing'}; nodes not in it: ${unlisted.join(', ') || 'none'}`,
  );
  const misconfigured = ['auth', 'gateway'].filter((name) => {
    const env = environmentOf(services[name]);
    const seeds = String(env.REDIS_CLUSTER_NODES ?? '').split(',').filter(Boolean);
    return (
      env.REDIS_TOPOLOGY !== 'cluster' ||
      seeds.length === 0 ||
      !seeds.every((seed) => addresses.includes(seed)) ||
      services[name]?.depends_on?.['redis-cluster-init']?.condition !== 'service_completed_successfully'
    );
  });
  check(
    'compose: auth and gateway run on REDIS_TOPOLOGY=cluster, seeded with cluster nodes, after the init finished',
    misconfigured.length === 0 ? undefined : `misconfigured: ${misconfigured.join(', ')}`,
  );
}

// ------------------------------------------------------------------------------------------- Dockerfile

/** Dockerfile instructions grouped by stage, with line continuations joined and comments dropped. */
function parseDockerfile(text) {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [, image, name] = instruction.args.match(/^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i) ?? [];
      stages.push({ image, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

async function checkDockerfile() {
  const hadolint = findExecutable('hadolint');
  if (hadolint) {
    const linted = exec(hadolint, ['Dockerfile']);
    check('Dockerfile: hadolint', linted.status === 0 ? undefined : linted.stdout.trim());
  } else {
    note('hadolint is not installed (no Debian package; the npm `hadolint` package only wraps the binary): our own rules only');
  }

  const stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
  const [build, runtime] = [stages[0], stages.at(-1)];
  const runs = (stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  check('Dockerfile: multi-stage (build, then runtime)', stages.length >= 2 && build.name ? undefined : `${stages.length} stage(s); the first needs a name`);
  const unpinned = stages.filter((stage) => !/:[\w.-]+$/.test(stage.image ?? '') || stage.image.endsWith(':latest'));
  check('Dockerfile: base images have an explicit tag (no :latest)', unpinned.length === 0 ? undefined : unpinned.map((stage) => stage.image).join(', '));
  check('Dockerfile: build stage runs `npm ci` and `npm run build`', runs(build).some((run) => /\bnpm ci\b/.test(run)) && runs(build).some((run) => /\bnpm run build\b/.test(run)) ? undefined : runs(build).join(' | '));

  const installs = runs(runtime).filter((run) => /\bnpm (ci|install|i)\b/.test(run));
  check(
    'Dockerfile: runtime stage installs production dependencies only',
    installs.length > 0 && installs.every((run) => /--omit=dev|--production\b/.test(run)) ? undefined : `runtime installs: ${installs.join(' | ') || 'none'}`,
  );
  const copies = runtime.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => i.args);
  const wholeContext = copies.filter((args) => !args.includes('--from=') && /(^|\s)\.\/?\s+\S+$/.test(args));
  const fromBuild = copies.filter((args) => args.includes(`--from=${build.name}`));
  check(
    'Dockerfile: runtime copies only the build output from the build stage',
    wholeContext.length === 0 && fromBuild.length > 0 && fromBuild.every((args) => /\bdist\b/.test(args)) ? undefined : `COPY in runtime: ${copies.join(' | ')}`,
  );
  const users = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
  check('Dockerfile: runtime runs as a non-root USER', users.length > 0 && !['root', '0'].includes(users.at(-1)) ? undefined : `USER ${users.at(-1) ?? '(not set: root)'}`);
  const cmd = runtime.instructions.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '';
  check('Dockerfile: CMD in exec form (signals reach node, not a shell)', /^\[.*\]$/.test(cmd) ? undefined : `CMD ${cmd || '(none)'}`);

  const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8').catch(() => '')).split('\n').map((line) => line.trim().replace(/\/$/, ''));
  const needed = ['node_modules', 'dist', '.data', '.git', '.env', 'secrets'];
  const notIgnored = needed.filter((entry) => !ignored.includes(entry));
  check('.dockerignore: keeps local state and secrets out of the build context', notIgnored.length === 0 ? undefined : `add: ${notIgnored.join(', ')}`);
}

// ---------------------------------------------------------------------------------------- nginx template

async function checkNginxTemplate(template) {
  const nginx = findExecutable('nginx');
  if (!nginx) {
    note('nginx is not installed: skipped `nginx -t` on the rendered template');
    return;
  }
  const prefix = await mkdtemp(join(tmpdir(), 'sessionwire-nginx-check-'));
  try {
    const render = async (tls, oidcProviderAddress) => {
      await writeLocalNginxConfig({
        templateFile: TEMPLATE,
        prefix,
        listen: '127.0.0.1:8080',
        authAddress: '127.0.0.1:3000',
        gatewayAddresses: ['127.0.0.1:3001', '127.0.0.1:3002'],
        demoRoot: join(ROOT, 'nginx/demo'),
        tls,
        oidcProviderAddress,
      });
      try {
        testNginxConfig(nginx, prefix);
        return undefined;
      } catch (error) {
        return error.message;
      }
    };
    check('nginx/nginx.conf.template: rendered as `npm start` does, passes nginx -t', await render(undefined));
    check('nginx/nginx.conf.template: rendered as `npm start -- --oidc` does (the provider at /idp/), passes nginx -t', await render(undefined, '127.0.0.1:8081'));
    if (findExecutable('openssl')) {
      const tls = await ensureDevCertificate(join(prefix, 'tls'));
      check('nginx/nginx.conf.template: rendered as `npm start -- --tls` does, passes nginx -t', await render(tls));
    } else {
      note('openssl is not installed: skipped the --tls rendering');
    }
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
  check('nginx/nginx.conf.template: placeholders are ${UPPER_CASE} only', /\$\{[^A-Z]/.test(template) ? 'found ${…} with a lower-case name: envsubst would not fill it' : undefined);
}

async function main() {
  const template = await readFile(TEMPLATE, 'utf8');
  const placeholders = [...new Set([...template.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((match) => match[1]))];
  const dockerStages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
  const composeConfig = checkCompose([COMPOSE_FILE], placeholders, dockerStages);
  const clusterConfig = checkCompose([COMPOSE_FILE, CLUSTER_OVERRIDE_FILE], placeholders, dockerStages);
  if (clusterConfig) checkRedisCluster(clusterConfig);
  await checkDockerfile();
  await checkNginxTemplate(template);
  if (!composeConfig) note('docker-compose.yml could not be resolved: the Kubernetes images and commands were not compared with it');
  await checkKubernetes({ root: ROOT, check, note, templatePlaceholders: placeholders, dockerStages, compose: composeConfig });
  await checkObservability({ root: ROOT, check });
  const failed = results.filter((result) => result.problem);
  process.stdout.write(
    failed.length === 0 ? `\nvalidate:deploy: all ${results.length} checks ok\n` : `\nvalidate:deploy: ${failed.length} of ${results.length} checks FAILED\n`,
  );
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((error) => {
  process.stdout.write(`validate:deploy: ${error.stack}\n`);
  process.exit(1);
});
