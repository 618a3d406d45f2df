// `npm run keys:rotate -- <publish|promote|retire>`: one step of rotating the auth service's access-token signing key
// through its three key files (SIGNING_KEY_FILE, SIGNING_KEY_NEXT_FILE, SIGNING_KEY_PREVIOUS_FILE). Files are
// rewritten in place (never replaced), so a file bind-mounted into a container (a compose secret) sees the change.
// The auth service reads them again on SIGHUP: this script sends it to the auth service of `npm start`; for another
// deployment it says what to run. README, "Rotating the signing key", explains the waits between the steps.
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signalRecordedService } from './lib/processes.mjs';

const USAGE = `Usage: npm run keys:rotate -- <step> [--data-dir DIR | --current FILE --next FILE --previous FILE]
Steps, in this order:
  publish   write a new P-256 key into the next file (it must be empty): the JWKS serves it, nothing signs with it
  promote   previous <- current, current <- next, next emptied: tokens are signed with the new key
            (run it at least JWKS_COOLDOWN_MS, 30 s by default, after publish reached every auth replica)
  retire    previous emptied: the old key leaves the JWKS
            (run it at least ACCESS_TOKEN_TTL, 900 s by default, after promote reached every auth replica)
Files: those of \`npm start\` in DIR (default .data), whose auth service is sent SIGHUP; or the three given
(e.g. the compose secrets), after which reload the auth service yourself (docker compose kill -s SIGHUP auth).`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    current: { type: 'string' },
    next: { type: 'string' },
    previous: { type: 'string' },
    help: { type: 'boolean' },
  },
});

async function main() {
  const step = positionals[0];
  if (values.help || positionals.length !== 1 || !['publish', 'promote', 'retire'].includes(step)) return fail(USAGE);
  const explicit = [values.current, values.next, values.previous];
  if (explicit.some((file) => file !== undefined) && (explicit.some((file) => file === undefined) || values['data-dir'] !== undefined)) {
    return fail(`Give all three of --current, --next, --previous (and no --data-dir), or none.\n\n${USAGE}`);
  }
  const dataDir = resolve(values['data-dir'] ?? '.data');
  const files = values.current
    ? { current: values.current, next: values.next, previous: values.previous }
    : {
        current: join(dataDir, 'keys/access-token-es256.pem'),
        next: join(dataDir, 'keys/access-token-es256.next.pem'),
        previous: join(dataDir, 'keys/access-token-es256.previous.pem'),
      };
  const read = async (file) => (await readFile(file, 'utf8')).trim();
  const [current, next, previous] = await Promise.all([read(files.current), read(files.next), read(files.previous)]);
  if (!current) return fail(`${files.current} (the signing key) is empty.`);

  if (step === 'publish') {
    if (next) return fail(`${files.next} already holds a key: promote it first, or empty the file to start over.`);
    if (previous) say(`Note: ${files.previous} still holds the key before; it stays published until you retire it.`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(files.next, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  } else if (step === 'promote') {
    if (!next) return fail(`${files.next} is empty: publish a key first.`);
    if (previous) return fail(`${files.previous} still holds a key: retire it first (its tokens must have expired).`);
    // Written so that every file is valid at every moment: the old key stays published throughout.
    await writeFile(files.previous, `${current}\n`);
    await writeFile(files.current, `${next}\n`);
    await writeFile(files.next, '');
  } else {
    if (!previous) return fail(`${files.previous} is already empty.`);
    await writeFile(files.previous, '');
  }
  say(`${step}: done (${files.current}, ${files.next}, ${files.previous}).`);
  if (values.current) {
    say('Now make the auth service read them: send it SIGHUP (docker compose kill -s SIGHUP auth, kill -HUP <pid>).');
  } else if (await signalRecordedService(join(dataDir, 'cluster.pids'), 'auth', 'SIGHUP')) {
    say('Sent SIGHUP to the auth service of `npm start`: its log says which keys it signs with and publishes.');
  } else {
    say('No running `npm start` auth service found: it reads the files when it starts.');
  }
}

function say(line) {
  process.stdout.write(`${line}\n`);
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}

main().catch((error) => fail(`keys:rotate failed: ${error.message}`));
