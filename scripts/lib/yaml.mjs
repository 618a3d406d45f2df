// YAML for the deployment checks, read with PyYAML (Debian's python3-yaml): the project has no YAML parser of its
// own among its dependencies, and the checks run before anything is built.
import { spawnSync } from 'node:child_process';

const PYTHONS = ['/usr/bin/python3', 'python3'];
const TO_JSON = 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)';

/** Every document of a YAML stream as plain objects (empty documents dropped), or undefined without PyYAML. */
export function parseYamlDocuments(yaml) {
  for (const python of PYTHONS) {
    const converted = spawnSync(python, ['-c', TO_JSON], { input: yaml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (converted.status === 0) return JSON.parse(converted.stdout);
  }
  return undefined;
}
