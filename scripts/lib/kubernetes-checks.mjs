// The Kubernetes part of `npm run validate:deploy`: every overlay of deploy/kubernetes/overlays rendered with
// kustomize (a standalone `kustomize`, else `kubectl kustomize`: Debian's kubernetes-client), each object validated
// against the Kubernetes API schemas (kubernetes-models, compiled from the official OpenAPI specification) and
// type-checked against its interfaces (unknown fields), then the project's own rules, read from the code rather than
// restated: the probe paths the health controllers serve, the variables the config schemas know, the images and
// commands compose runs, the gateways' drain.
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { GATEWAY_SERVER_PARAMETERS } from './nginx.mjs';
import { findExecutable } from './prerequisites.mjs';
import { parseYamlDocuments } from './yaml.mjs';

/** The schema package, pinned: its newest API definitions are Kubernetes 1.34's (PodSpec has 1.34's hostnameOverride). */
const SCHEMA_PACKAGE = 'kubernetes-models';
const SCHEMA_PACKAGE_VERSION = '5.1.0';
const KUBERNETES_VERSION = '1.34';

const NAMESPACE = 'sessionwire';
const APPS = ['auth', 'gateway'];
/** Who may reach each workload's pods (NetworkPolicy `from`); anything else is a finding. */
const ALLOWED_PEERS = { auth: ['edge', 'gateway'], gateway: ['edge'], redis: ['auth', 'gateway'] };
/** The edge image's entrypoint reads this; the template's placeholders are the rest of the edge's environment. */
const EDGE_ENTRYPOINT_VARIABLES = ['NGINX_ENVSUBST_OUTPUT_DIR'];
/** Where the nginx image's entrypoint looks for templates. */
const EDGE_TEMPLATE_PATH = '/etc/nginx/templates/nginx.conf.template';

/** `kustomize build DIR` or `kubectl kustomize DIR`, whichever is installed. */
function renderer() {
  const kustomize = findExecutable('kustomize');
  if (kustomize) return { label: 'kustomize build', command: kustomize, args: (dir) => ['build', dir] };
  const kubectl = findExecutable('kubectl');
  if (kubectl) return { label: 'kubectl kustomize', command: kubectl, args: (dir) => ['kustomize', dir] };
  return undefined;
}

/** The model classes of kubernetes-models for one apiVersion (`v1`, `apps/v1`…), or the reason there are none. */
async function schemaModule(apiVersion) {
  try {
    return { models: await import(`${SCHEMA_PACKAGE}/${apiVersion}`) };
  } catch (error) {
    if (error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(`'${SCHEMA_PACKAGE}'`)) return { missing: true };
    if (error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || error.code === 'ERR_MODULE_NOT_FOUND') return { problem: `unknown apiVersion ${apiVersion}` };
    throw error;
  }
}

/** Variable names a config schema file declares (`NAME: z…` entries of its z.object/extend). */
async function schemaVariables(root, file) {
  const text = await readFile(join(root, file), 'utf8');
  return [...text.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s/gm)].map((match) => match[1]);
}

/** The default of a variable in a config schema file (`NAME: ….default(N)`), as a number. */
async function schemaDefault(root, file, name) {
  const text = await readFile(join(root, file), 'utf8');
  const match = text.match(new RegExp(`^\\s+${name}:.*\\.default\\((\\d+(?:\\.\\d+)?)\\)`, 'm'));
  return match ? Number(match[1]) : undefined;
}

/** The paths a Nest controller serves (`@Controller('health')` with `@Get('ready')` → `/health/ready`). */
async function controllerPaths(root, file) {
  const text = await readFile(join(root, file), 'utf8');
  const prefix = text.match(/@Controller\(\s*'([^']*)'\s*\)/)?.[1] ?? '';
  return [...text.matchAll(/@Get\(\s*(?:'([^']*)')?\s*\)/g)].map((match) => `/${[prefix, match[1]].filter(Boolean).join('/')}`);
}

/**
 * Fields the Kubernetes API does not know (a misspelt `readinessProbe`, a field at the wrong level). The JSON schemas
 * of kubernetes-models allow unknown properties, as the API server's own decoding drops them silently; the package's
 * TypeScript interfaces, generated from the same specification, do not: each object is type-checked as an object
 * literal of its kind's interface, whose excess property checks reach every nesting level. Returns the findings.
 */
function unknownFields(root, labelled) {
  const objects = labelled.map(({ object }) => object);
  // Never written: the compiler host below serves it, from a path where module resolution finds node_modules.
  const file = join(root, 'deploy/kubernetes/rendered-objects.mts');
  let text = objects.map((object, index) => `import type { I${object.kind} as T${index} } from '${SCHEMA_PACKAGE}/${object.apiVersion}/${object.kind}';\n`).join('');
  const starts = objects.map((object, index) => {
    const start = text.length;
    text += `export const o${index}: T${index} = ${JSON.stringify(object)};\n`;
    return start;
  });
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile: read } = host;
  host.getSourceFile = (name, ...rest) => (name === file ? ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true) : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : read.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const index = starts.findLastIndex((start) => start <= (diagnostic.start ?? 0));
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== file || index < 0) return { label: undefined, problem: `${diagnostic.file?.fileName ?? 'TypeScript'}: ${message}` };
    return { label: labelled[index].label, problem: `${objects[index].kind} ${objects[index].metadata?.name}: ${message}` };
  });
}

const imageRepository = (image) => String(image ?? '').replace(/@.*$/, '').replace(/:[^/:]+$/, '').split('/').at(-1);
const labelsMatch = (selector, labels) => Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
const podSpecOf = (workload) => workload.spec?.template?.spec ?? {};
const componentOf = (workload) => workload.spec?.template?.metadata?.labels?.['app.kubernetes.io/name'];

/** A container's environment: its `env` values and the keys of its `envFrom` ConfigMaps and Secrets. */
function environmentOf(container, objects) {
  const variables = new Map();
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata?.name === ref?.name);
    for (const [name, value] of Object.entries({ ...object?.data, ...object?.stringData })) variables.set(name, { value: String(value) });
  }
  for (const entry of container.env ?? []) variables.set(entry.name, { value: entry.value, valueFrom: entry.valueFrom });
  return variables;
}

/**
 * Renders and checks every overlay. `check(description, problem)` records one check (problem undefined: passed);
 * `compose` is the resolved docker-compose.yml (its images and commands are the reference), or undefined.
 */
export async function checkKubernetes({ root, check, note, templatePlaceholders, dockerStages, compose }) {
  const overlaysDir = join(root, 'deploy/kubernetes/overlays');
  const overlays = (await readdir(overlaysDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  check('deploy/kubernetes: overlays dev and production', ['dev', 'production'].every((name) => overlays.includes(name)) ? undefined : `found: ${overlays.join(', ')}`);

  const render = renderer();
  if (!render) {
    check('deploy/kubernetes: render the overlays', 'neither `kustomize` nor `kubectl` is installed. Debian: apt-get install -y kubernetes-client');
    return;
  }

  const reference = {
    variables: {
      auth: new Set([...(await schemaVariables(root, 'libs/config/src/shared-config.ts')), ...(await schemaVariables(root, 'apps/auth/src/config/auth.config.ts'))]),
      gateway: new Set([...(await schemaVariables(root, 'libs/config/src/shared-config.ts')), ...(await schemaVariables(root, 'apps/gateway/src/config/gateway.config.ts'))]),
    },
    healthPaths: {
      auth: await controllerPaths(root, 'apps/auth/src/health/health.controller.ts'),
      gateway: await controllerPaths(root, 'apps/gateway/src/health/health.controller.ts'),
    },
    drainWindowDefault: await schemaDefault(root, 'apps/gateway/src/config/gateway.config.ts', 'DRAIN_WINDOW'),
    readme: await readFile(join(root, 'README.md'), 'utf8'),
  };

  let schemaPackageMissing = false;
  const renderedOverlays = [];
  for (const overlay of overlays) {
    const dir = join(overlaysDir, overlay);
    const name = `deploy/kubernetes/overlays/${overlay}`;
    const rendered = spawnSync(render.command, render.args(dir), { encoding: 'utf8', cwd: root, maxBuffer: 64 * 1024 * 1024 });
    check(`${name}: renders (${render.label})`, rendered.status === 0 ? undefined : (rendered.stderr || rendered.stdout).trim());
    if (rendered.status !== 0) continue;
    const objects = parseYamlDocuments(rendered.stdout);
    if (!objects) {
      check(`${name}: parse the rendered objects`, 'no python3 with PyYAML. Debian: apt-get install -y python3-yaml');
      continue;
    }

    // ---- the Kubernetes API schemas
    const invalid = [];
    for (const object of objects) {
      const { models, missing, problem } = await schemaModule(object.apiVersion);
      if (missing) {
        schemaPackageMissing = true;
        break;
      }
      const Model = models?.[object.kind];
      if (!Model) {
        invalid.push(`${object.kind} ${object.metadata?.name}: ${problem ?? `no kind ${object.kind} in ${object.apiVersion}`}`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        invalid.push(`${object.kind} ${object.metadata?.name}: ${error.message}`);
      }
    }
    check(
      `${name}: ${objects.length} objects valid against the Kubernetes ${KUBERNETES_VERSION} API schemas (${SCHEMA_PACKAGE} ${SCHEMA_PACKAGE_VERSION})`,
      schemaPackageMissing
        ? `the schema validator is not installed: add the devDependency ${SCHEMA_PACKAGE}@${SCHEMA_PACKAGE_VERSION} (npm install --save-dev --save-exact ${SCHEMA_PACKAGE}@${SCHEMA_PACKAGE_VERSION}). It validates offline against JSON schemas compiled from the official Kubernetes OpenAPI specification.`
        : invalid.join('\n') || undefined,
    );

    renderedOverlays.push({ name, objects });
    checkRenderedObjects({ name, objects, check, reference, templatePlaceholders, dockerStages, compose, overlay });
  }
  if (schemaPackageMissing) {
    note(`${SCHEMA_PACKAGE} is missing: the rendered objects were not checked against the Kubernetes schemas`);
    return;
  }
  // One TypeScript program for every overlay: most of the time goes into loading the interfaces.
  const findings = unknownFields(root, renderedOverlays.flatMap(({ name, objects }) => objects.map((object) => ({ label: name, object }))));
  for (const { name } of renderedOverlays) {
    const own = findings.filter((finding) => finding.label === name || finding.label === undefined).map((finding) => finding.problem);
    check(`${name}: no field the Kubernetes ${KUBERNETES_VERSION} API does not know (the TypeScript interfaces of ${SCHEMA_PACKAGE})`, own.join('\n') || undefined);
  }
}

function checkRenderedObjects({ name, objects, check: recordCheck, reference, templatePlaceholders, dockerStages, compose, overlay }) {
  const check = (description, problem) => recordCheck(`${name}: ${description}`, problem);
  const ofKind = (kind) => objects.filter((object) => object.kind === kind);
  const workloads = [...ofKind('Deployment'), ...ofKind('StatefulSet')];
  const deployment = (component) => ofKind('Deployment').find((object) => object.metadata?.name === component);
  const containerOf = (workload) => podSpecOf(workload).containers?.[0] ?? {};

  const outside = objects.filter((object) => object.kind !== 'Namespace' && object.metadata?.namespace !== NAMESPACE);
  check(`every object in the namespace ${NAMESPACE} (the edge's upstream names depend on it)`, outside.length === 0 ? undefined : outside.map((object) => `${object.kind} ${object.metadata?.name}`).join(', '));

  const missingWorkloads = ['auth', 'gateway', 'edge'].filter((component) => !deployment(component));
  check('Deployments auth, gateway and edge', missingWorkloads.length === 0 ? undefined : `missing: ${missingWorkloads.join(', ')}`);
  if (missingWorkloads.length > 0) return;

  // ---- images and commands: the ones compose runs, from the same Dockerfile
  if (compose) {
    const services = compose.services ?? {};
    const expected = { auth: services.auth, gateway: services.gateway, edge: services.nginx };
    const mismatched = Object.entries(expected).filter(([component, service]) => imageRepository(containerOf(deployment(component)).image) !== imageRepository(service?.image));
    check(
      "images are compose's (sessionwire for the apps, sessionwire-edge for the edge)",
      mismatched.length === 0 ? undefined : mismatched.map(([component, service]) => `${component}: ${containerOf(deployment(component)).image}, compose: ${service?.image}`).join('; '),
    );
    const commands = APPS.filter((app) => [containerOf(deployment(app)).command].flat().join(' ') !== [services[app]?.command].flat().join(' '));
    check("the apps run compose's commands", commands.length === 0 ? undefined : `differs: ${commands.join(', ')}`);
    const edgeStage = dockerStages.find((stage) => stage.name === services.nginx?.build?.target);
    const bakesTemplate = (edgeStage?.instructions ?? []).some((instruction) => instruction.keyword === 'COPY' && /\bnginx\/nginx\.conf\.template\s+\S+$/.test(instruction.args) && instruction.args.trim().split(/\s+/).at(-1) === EDGE_TEMPLATE_PATH);
    check(`the edge image carries nginx/nginx.conf.template at ${EDGE_TEMPLATE_PATH} (Dockerfile stage ${services.nginx?.build?.target})`, bakesTemplate ? undefined : 'no such COPY in the stage compose builds for nginx');
  }

  // ---- pod security and resources, for every workload
  const insecure = workloads.flatMap((workload) => {
    const spec = podSpecOf(workload);
    const pod = spec.securityContext ?? {};
    const problems = [];
    if (spec.automountServiceAccountToken !== false) problems.push('automountServiceAccountToken not false');
    if (spec.enableServiceLinks !== false) problems.push('enableServiceLinks not false');
    if (pod.runAsNonRoot !== true) problems.push('runAsNonRoot not true');
    // Secret files belong to root: a mode without read for others needs the pod's fsGroup and read for the group.
    for (const volume of spec.volumes ?? []) {
      const mode = volume.secret?.defaultMode ?? 0o644;
      if (volume.secret && !(mode & 0o004) && (pod.fsGroup === undefined || !(mode & 0o040))) problems.push(`Secret volume ${volume.name} (mode ${mode.toString(8)}) unreadable: no fsGroup`);
    }
    for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const own = container.securityContext ?? {};
      if ((own.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault') problems.push(`${container.name}: seccompProfile not RuntimeDefault`);
      if (own.allowPrivilegeEscalation !== false) problems.push(`${container.name}: allowPrivilegeEscalation not false`);
      if (own.readOnlyRootFilesystem !== true) problems.push(`${container.name}: readOnlyRootFilesystem not true`);
      if (!(own.capabilities?.drop ?? []).includes('ALL') || (own.capabilities?.add ?? []).length > 0) problems.push(`${container.name}: capabilities not dropped (drop: [ALL], no add)`);
      const { requests = {}, limits = {} } = container.resources ?? {};
      if (!requests.cpu || !requests.memory || !limits.cpu || !limits.memory) problems.push(`${container.name}: cpu and memory requests and limits`);
    }
    return problems.map((problem) => `${workload.kind} ${workload.metadata.name}: ${problem}`);
  });
  check('pods: non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp RuntimeDefault, no token, readable Secret files, requests and limits', insecure.length === 0 ? undefined : insecure.join('\n'));

  // ---- the apps' environment: only variables their config schemas know; probes on paths they serve
  for (const app of APPS) {
    const container = containerOf(deployment(app));
    const environment = environmentOf(container, objects);
    const unknown = [...environment.keys()].filter((variable) => !reference.variables[app].has(variable));
    check(`${app}: every environment variable is in its config schema (apps/${app}/src/config, libs/config)`, unknown.length === 0 ? undefined : `unknown: ${unknown.join(', ')}`);

    const port = container.ports?.find((candidate) => candidate.containerPort === Number(environment.get('PORT')?.value));
    const probes = { readinessProbe: '/health/ready', livenessProbe: '/health/live' };
    const wrong = Object.entries(probes).flatMap(([probe, path]) => {
      const get = container[probe]?.httpGet;
      if (get?.path !== path) return [`${probe} on ${get?.path ?? '(no httpGet)'}, expected ${path}`];
      if (!reference.healthPaths[app].includes(path)) return [`${path} is not served by apps/${app}/src/health/health.controller.ts (${reference.healthPaths[app].join(', ')})`];
      if (!port || (get.port !== port.name && get.port !== port.containerPort)) return [`${probe} port ${get.port} is not the container port of PORT (${environment.get('PORT')?.value})`];
      return [];
    });
    check(`${app}: readiness on /health/ready, liveness on /health/live, on its PORT`, wrong.length === 0 ? undefined : wrong.join('; '));
  }

  const gateway = deployment('gateway');
  const gatewayEnvironment = environmentOf(containerOf(gateway), objects);
  const drainWindow = Number(gatewayEnvironment.get('DRAIN_WINDOW')?.value ?? reference.drainWindowDefault);
  const grace = podSpecOf(gateway).terminationGracePeriodSeconds ?? 30;
  check(
    'gateway: terminationGracePeriodSeconds covers DRAIN_WINDOW plus the registry clean-up (>= DRAIN_WINDOW + 10 s)',
    Number.isFinite(drainWindow) && grace >= drainWindow + 10 ? undefined : `terminationGracePeriodSeconds ${grace}, DRAIN_WINDOW ${drainWindow}`,
  );
  check(
    "gateway: NODE_ID is the pod's name (downward API)",
    gatewayEnvironment.get('NODE_ID')?.valueFrom?.fieldRef?.fieldPath === 'metadata.name' ? undefined : 'expected valueFrom.fieldRef.fieldPath: metadata.name',
  );

  // ---- scaling: HPA on the apps (which then own no `replicas`), a PDB on every component
  const unscaled = APPS.filter((app) => {
    const hpa = ofKind('HorizontalPodAutoscaler').find((candidate) => candidate.spec?.scaleTargetRef?.kind === 'Deployment' && candidate.spec.scaleTargetRef.name === app);
    return !hpa || !(hpa.spec.minReplicas >= 2) || deployment(app).spec.replicas !== undefined;
  });
  check('auth and gateway: a HorizontalPodAutoscaler (minReplicas >= 2) owns the replica count (no `replicas` in the Deployment)', unscaled.length === 0 ? undefined : `not so: ${unscaled.join(', ')}`);
  const unprotected = ['auth', 'gateway', 'edge'].filter(
    (component) => !ofKind('PodDisruptionBudget').some((pdb) => labelsMatch(pdb.spec?.selector?.matchLabels, deployment(component).spec.template.metadata.labels)),
  );
  check('auth, gateway and edge: a PodDisruptionBudget each', unprotected.length === 0 ? undefined : `none for: ${unprotected.join(', ')}`);

  // ---- auth: keys and admin password from Secrets
  const auth = deployment('auth');
  const authContainer = containerOf(auth);
  const authEnvironment = environmentOf(authContainer, objects);
  const secretFile = (path) =>
    (authContainer.volumeMounts ?? []).some((mount) => {
      const volume = podSpecOf(auth).volumes?.find((candidate) => candidate.name === mount.name);
      const file = String(path ?? '').startsWith(`${mount.mountPath}/`) ? path.slice(mount.mountPath.length + 1) : undefined;
      return volume?.secret && file && (volume.secret.items ?? []).some((item) => item.path === file);
    });
  const keySlots = ['SIGNING_KEY_FILE', 'SIGNING_KEY_NEXT_FILE', 'SIGNING_KEY_PREVIOUS_FILE'].filter((variable) => !secretFile(authEnvironment.get(variable)?.value));
  check(
    'auth: the three signing key slots are files of a mounted Secret; no generated key; the admin password from a Secret',
    keySlots.length === 0 && authEnvironment.get('ALLOW_DEV_SIGNING_KEY')?.value === 'false' && !authEnvironment.has('SIGNING_KEY') && authEnvironment.get('ADMIN_PASSWORD')?.valueFrom?.secretKeyRef
      ? undefined
      : `not from a mounted Secret: ${keySlots.join(', ') || 'none'}; ALLOW_DEV_SIGNING_KEY=${authEnvironment.get('ALLOW_DEV_SIGNING_KEY')?.value}; ADMIN_PASSWORD from a Secret: ${Boolean(authEnvironment.get('ADMIN_PASSWORD')?.valueFrom?.secretKeyRef)}`,
  );

  // ---- the Secrets the operator creates are the ones the README tells them to create
  const rendered = new Set(ofKind('Secret').map((secret) => secret.metadata.name));
  const referenced = new Set(
    workloads.flatMap((workload) => [
      ...(podSpecOf(workload).volumes ?? []).map((volume) => volume.secret?.secretName),
      ...(podSpecOf(workload).containers ?? []).flatMap((container) => [
        ...(container.env ?? []).map((entry) => entry.valueFrom?.secretKeyRef?.name),
        ...(container.envFrom ?? []).map((source) => source.secretRef?.name),
      ]),
    ]),
  );
  const undocumented = [...referenced].filter((secret) => secret && !rendered.has(secret) && !reference.readme.includes(secret));
  check('the Secrets to create are named in the README ("Deploying on Kubernetes")', undocumented.length === 0 ? undefined : `not in README.md: ${undocumented.join(', ')}`);

  // ---- Redis: REDIS_URL from a Secret (an external Redis needs no manifest change); the dev overlay's own Redis persists
  const urlFromSecret = APPS.filter((app) => !environmentOf(containerOf(deployment(app)), objects).get('REDIS_URL')?.valueFrom?.secretKeyRef);
  check('auth and gateway: REDIS_URL from a Secret', urlFromSecret.length === 0 ? undefined : `not from a Secret: ${urlFromSecret.join(', ')}`);
  const redis = workloads.find((workload) => /redis-server/.test([containerOf(workload).command, containerOf(workload).args].flat().join(' ')));
  if (overlay === 'dev') {
    const args = [containerOf(redis ?? {}).command, containerOf(redis ?? {}).args].flat().join(' ');
    check(
      'an in-cluster Redis with AOF on a PersistentVolumeClaim',
      redis?.kind === 'StatefulSet' && /--appendonly yes/.test(args) && (redis.spec.volumeClaimTemplates ?? []).length > 0 ? undefined : `found: ${redis ? `${redis.kind} ${redis.metadata.name}: ${args}` : 'no redis-server'}`,
    );
  } else {
    check('no in-cluster Redis (an external one, through REDIS_URL and REDIS_TOPOLOGY)', redis ? `runs ${redis.kind} ${redis.metadata.name}` : undefined);
  }

  // ---- NetworkPolicy: everything denied, then only the edge reaches the apps (and the apps Redis)
  const policies = ofKind('NetworkPolicy');
  const denyAll = policies.some((policy) => Object.keys(policy.spec?.podSelector ?? {}).length === 0 && (policy.spec.policyTypes ?? []).includes('Ingress') && (policy.spec.ingress ?? []).length === 0);
  const leaks = workloads.flatMap((workload) => {
    const component = componentOf(workload);
    const allowed = ALLOWED_PEERS[component];
    if (!allowed) return [];
    const labels = workload.spec.template.metadata.labels;
    return policies
      // An empty podSelector selects every pod: the default deny (no rules) adds nothing, an allow-all would show.
      .filter((policy) => labelsMatch(policy.spec?.podSelector?.matchLabels, labels))
      .flatMap((policy) => policy.spec.ingress ?? [])
      .flatMap((rule) => {
        if (!rule.from?.length) return [`${component}: a rule without \`from\` admits every source`];
        return rule.from
          .filter((peer) => peer.ipBlock || peer.namespaceSelector || !allowed.includes(peer.podSelector?.matchLabels?.['app.kubernetes.io/name']))
          .map((peer) => `${component}: admits ${JSON.stringify(peer)}`);
      });
  });
  check(
    'NetworkPolicy: default deny; only the edge reaches the apps (and the gateways auth), only the apps reach Redis',
    denyAll && leaks.length === 0 ? undefined : [denyAll ? undefined : 'no default-deny ingress policy (podSelector: {})', ...leaks].filter(Boolean).join('\n'),
  );

  // ---- the edge: the same template, rendered by the image's entrypoint into a writable directory
  const edge = deployment('edge');
  const edgeContainer = containerOf(edge);
  const edgeEnvironment = environmentOf(edgeContainer, objects);
  const missingPlaceholders = templatePlaceholders.filter((placeholder) => !edgeEnvironment.has(placeholder));
  const unknownEdge = [...edgeEnvironment.keys()].filter((variable) => !templatePlaceholders.includes(variable) && !EDGE_ENTRYPOINT_VARIABLES.includes(variable));
  check(
    'edge: its environment is exactly the template placeholders (plus NGINX_ENVSUBST_OUTPUT_DIR)',
    missingPlaceholders.length === 0 && unknownEdge.length === 0 ? undefined : `missing: ${missingPlaceholders.join(', ') || 'none'}; unknown: ${unknownEdge.join(', ') || 'none'}`,
  );
  const outputDir = edgeEnvironment.get('NGINX_ENVSUBST_OUTPUT_DIR')?.value;
  const writable = (edgeContainer.volumeMounts ?? []).some((mount) => mount.mountPath === outputDir && podSpecOf(edge).volumes?.find((volume) => volume.name === mount.name)?.emptyDir);
  const args = [edgeContainer.command, edgeContainer.args].flat().filter(Boolean);
  check(
    'edge: the template is rendered into a writable emptyDir and nginx runs that file',
    writable && args[0] === 'nginx' && args[args.indexOf('-c') + 1] === `${outputDir}/nginx.conf` ? undefined : `NGINX_ENVSUBST_OUTPUT_DIR=${outputDir}, emptyDir there: ${writable}, args: ${args.join(' ')}`,
  );
  const upstreams = ['AUTH_SERVERS', 'GATEWAY_SERVERS'].flatMap((variable) =>
    [...String(edgeEnvironment.get(variable)?.value ?? '').matchAll(/server\s+([^\s:;]+):(\d+)([^;]*);/g)].map(([, host, port, parameters]) => ({ variable, host, port: Number(port), parameters })),
  );
  const wrongUpstreams = upstreams.flatMap(({ variable, host, port, parameters }) => {
    const [serviceName, namespace, ...rest] = host.split('.');
    const service = ofKind('Service').find((candidate) => candidate.metadata.name === serviceName);
    if (namespace !== NAMESPACE || rest.join('.') !== 'svc.cluster.local') return [`${variable}: ${host} is not <service>.${NAMESPACE}.svc.cluster.local`];
    if (!service) return [`${variable}: no Service ${serviceName}`];
    if (service.spec.clusterIP !== 'None') return [`${variable}: Service ${serviceName} is not headless (nginx must see every pod)`];
    if (!service.spec.ports?.some((candidate) => candidate.port === port)) return [`${variable}: Service ${serviceName} has no port ${port}`];
    if (!/\bresolve\b/.test(parameters)) return [`${variable}: ${host} without \`resolve\``];
    return [];
  });
  const gatewayServers = upstreams.filter((upstream) => upstream.variable === 'GATEWAY_SERVERS');
  check(
    `edge: upstreams are the headless auth and gateway Services, re-resolved; the gateways' server line has ${GATEWAY_SERVER_PARAMETERS}`,
    upstreams.length >= 2 && wrongUpstreams.length === 0 && gatewayServers.length > 0 && gatewayServers.every((upstream) => upstream.parameters.includes(GATEWAY_SERVER_PARAMETERS))
      ? undefined
      : wrongUpstreams.join('; ') || `AUTH_SERVERS / GATEWAY_SERVERS: ${upstreams.map((upstream) => `${upstream.host}:${upstream.port}${upstream.parameters}`).join(', ') || 'none'}`,
  );
  check(
    'edge: a resolver (nginx re-resolves the scaled Services)',
    /^resolver\s+\S+/.test(edgeEnvironment.get('NGINX_RESOLVER')?.value ?? '') ? undefined : `NGINX_RESOLVER is "${edgeEnvironment.get('NGINX_RESOLVER')?.value}"`,
  );
}
