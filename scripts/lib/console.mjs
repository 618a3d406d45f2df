const PINO_LEVELS = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function say(message) {
  process.stdout.write(`${message}\n`);
}

/**
 * Echoes the interesting part of an app's output to the console with a name prefix: warnings and errors from
 * its JSON (pino) log, and anything it prints that is not JSON (boot failures). Everything is in its log file.
 */
export function echoNotableLine(name, line) {
  const notable = isJson(line) ? pinoSummary(line) : line.trim();
  if (notable) process.stdout.write(`${name.padEnd(10)}| ${notable}\n`);
}

function isJson(line) {
  return line.startsWith('{') && line.endsWith('}');
}

function pinoSummary(line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return line; // looked like JSON but is not: show it as is
  }
  if (typeof entry.level !== 'number' || entry.level < 40) return undefined;
  return `${PINO_LEVELS[entry.level] ?? entry.level} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
}
