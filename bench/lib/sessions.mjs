/* global fetch */
/** The password of every benchmark user (register and login validate length only). */
export const BENCH_PASSWORD = 'bench-password-not-secret';

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

async function postJson(url, body, expected) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json();
  if (response.status !== expected) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers `count` users named `<prefix>-<i>`; answers their credentials. */
export async function registerUsers(authUrl, prefix, count, concurrency = 4) {
  const users = Array.from({ length: count }, (_, index) => ({ username: `${prefix}-${index}`, password: BENCH_PASSWORD }));
  await mapLimit(users, concurrency, (user) => postJson(`${authUrl}/auth/register`, user, 201));
  return users;
}

/** `count` fresh sessions (one login each), spread round robin over `users`. */
export async function loginSessions(authUrl, users, count, concurrency = 4) {
  return mapLimit(Array.from({ length: count }, (_, index) => users[index % users.length]), concurrency, async (user) => {
    const body = await postJson(`${authUrl}/auth/login`, user, 200);
    return { token: body.accessToken, refreshToken: body.refreshToken, sessionId: body.sessionId, userId: body.user.id };
  });
}
