import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findExecutable, MissingPrerequisiteError } from './prerequisites.mjs';

/** Hosts the development certificate is valid for: what the launcher prints and what a browser on this machine uses. */
export const DEV_CERTIFICATE_NAMES = 'DNS:localhost,IP:127.0.0.1';

/**
 * A self-signed certificate (EC P-256, 825 days: the longest browsers accept) for localhost and 127.0.0.1 in
 * `dir` (`cert.pem`, `key.pem` mode 600), made with openssl on first use and reused afterwards, so a browser
 * exception or a trusted copy keeps working across restarts. Development only.
 */
export async function ensureDevCertificate(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  if (existsSync(cert) && existsSync(key)) return { cert, key, created: false };
  const openssl = findExecutable('openssl');
  if (!openssl) throw new MissingPrerequisiteError('openssl is needed to generate the development TLS certificate (Debian: apt-get install -y openssl).');
  await mkdir(dir, { recursive: true });
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '825'];
  args.push('-subj', '/CN=localhost', '-addext', `subjectAltName=${DEV_CERTIFICATE_NAMES}`, '-keyout', key, '-out', cert);
  const result = spawnSync(openssl, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl could not create the development certificate:\n${(result.stderr || result.stdout).trim()}`);
  await chmod(key, 0o600);
  return { cert, key, created: true };
}
