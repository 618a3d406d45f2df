// The operator console: signs in with the auth service's session cookie (HttpOnly: this page never holds a
// credential), then reads and acts through the /admin routes. Plain DOM, no inline script or style (strict CSP).

const REFRESH_MS = 3000;
/** Samples kept for the latency chart (at REFRESH_MS apart: the last few minutes). */
const CHART_SAMPLES = 60;

const $ = (selector) => document.querySelector(selector);

/** An answer that is not 2xx, with the API's `{statusCode, code, message}` body. */
class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

function showProblem(error) {
  const problem = $('#problem');
  problem.textContent = error ? `${error.message}${error.code ? ` (${error.code})` : ''}` : '';
  problem.hidden = !error;
}

/** Runs an action with the page marked busy and its error shown. */
async function busy(action) {
  $('main').setAttribute('aria-busy', 'true');
  try {
    showProblem(undefined);
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signedOut();
    showProblem(error);
  } finally {
    $('main').setAttribute('aria-busy', 'false');
  }
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(...cells) {
  const tr = document.createElement('tr');
  tr.append(...cells);
  return tr;
}

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const yesNo = (value) => (value === null ? 'unknown' : value ? 'yes' : 'no');

// --- sign-in -------------------------------------------------------------------------------------------------

let refreshTimer;

function signedOut(refusal) {
  clearInterval(refreshTimer);
  document.body.dataset.state = refusal ? 'refused' : 'signed-out';
  $('#console').hidden = true;
  $('#operator').hidden = true;
  $('#sign-in').hidden = false;
  $('#refused').textContent = refusal ?? '';
  $('#refused').hidden = !refusal;
}

async function signedIn(me) {
  if (!me.roles.includes('admin')) {
    // Not an operator: the session this sign-in opened is of no use here, so it ends now.
    await api('POST', '/auth/logout').catch(() => undefined);
    return signedOut(`${me.username} is not an administrator: the console is for administrators only.`);
  }
  $('#operator-name').textContent = me.username;
  $('#operator').hidden = false;
  $('#sign-in').hidden = true;
  $('#refused').hidden = true;
  $('#console').hidden = false;
  await refreshCluster();
  document.body.dataset.state = 'signed-in';
  refreshTimer = setInterval(() => void refreshCluster().catch(showProblem), REFRESH_MS);
}

$('#sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(async () => {
    const username = $('#username').value;
    await api('POST', '/auth/login', { username, password: $('#password').value });
    $('#password').value = '';
    await signedIn(await api('GET', '/auth/me'));
  });
});

$('#sign-out').addEventListener('click', () => {
  void busy(async () => {
    await api('POST', '/auth/logout');
    signedOut();
  });
});

// --- cluster and latency -------------------------------------------------------------------------------------

/** The aggregate histograms of the last refreshes, oldest first. */
const samples = [];

async function refreshCluster() {
  const cluster = await api('GET', '/admin/nodes');
  const rows = cluster.nodes.map((node) => {
    const tr = row(
      cell(node.nodeId),
      cell(node.alive ? 'alive' : 'dead', node.alive ? 'ok' : 'bad'),
      cell(String(node.connections)),
      cell(node.subscriber ?? 'unknown', node.subscriber === 'ready' ? 'ok' : 'bad'),
      cell(yesNo(node.draining), node.draining ? 'bad' : ''),
      cell(time(node.reportedAt)),
    );
    tr.dataset.node = node.nodeId;
    return tr;
  });
  $('#nodes tbody').replaceChildren(...rows);
  $('#total-connections').textContent = String(cluster.nodes.reduce((total, node) => total + node.connections, 0));
  recordLatency(cluster.logoutPropagation);
}

/** The `q` quantile (0..1) of histogram deltas, interpolated inside its bucket, in seconds; undefined without events. */
function quantile(buckets, count, q) {
  if (count <= 0) return undefined;
  const rank = q * count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count: cumulative } of buckets) {
    if (cumulative >= rank) return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / Math.max(cumulative - lowerCount, 1);
    lowerBound = le;
    lowerCount = cumulative;
  }
  return lowerBound;
}

/** The events between two snapshots of a histogram (a node that restarted makes a negative delta: counted as none). */
function delta(before, after) {
  const counts = new Map(before.buckets.map((bucket) => [bucket.le, bucket.count]));
  const buckets = after.buckets.map(({ le, count }) => ({ le, count: Math.max(count - (counts.get(le) ?? 0), 0) }));
  return { buckets, count: Math.max(after.count - before.count, 0) };
}

const ms = (seconds) => `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;

function recordLatency(histogram) {
  const previous = samples.at(-1)?.histogram;
  const step = previous ? delta(previous, histogram) : { buckets: [], count: 0 };
  samples.push({ histogram, p50: quantile(step.buckets, step.count, 0.5), p95: quantile(step.buckets, step.count, 0.95) });
  if (samples.length > CHART_SAMPLES) samples.shift();

  const summary = $('#latency-summary');
  summary.dataset.count = String(histogram.count);
  if (histogram.count > 0) {
    summary.textContent =
      `${histogram.count} close(s) of a revoked session's sockets on a node, since the live nodes started: ` +
      `p50 ${ms(quantile(histogram.buckets, histogram.count, 0.5))}, p95 ${ms(quantile(histogram.buckets, histogram.count, 0.95))}, ` +
      `mean ${ms(histogram.sum / histogram.count)}.`;
  }
  drawChart();
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

function drawChart() {
  const chart = $('#latency-chart');
  const [width, height, pad] = [600, 160, 24];
  const values = samples.flatMap((sample) => [sample.p50, sample.p95]).filter((value) => value !== undefined);
  const top = Math.max(...values, 0.01);
  const x = (index) => pad + ((width - 2 * pad) * index) / (CHART_SAMPLES - 1);
  const y = (seconds) => height - pad - ((height - 2 * pad) * seconds) / top;
  const children = [
    svgElement('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'axis' }),
    svgElement('line', { x1: pad, y1: pad, x2: pad, y2: height - pad, class: 'axis' }),
  ];
  const label = svgElement('text', { x: pad + 4, y: pad - 6, class: 'tick' });
  label.textContent = ms(top);
  children.push(label);
  for (const series of ['p50', 'p95']) {
    samples.forEach((sample, index) => {
      if (sample[series] !== undefined) children.push(svgElement('circle', { cx: x(index), cy: y(sample[series]), r: 3, class: series }));
    });
    const points = samples.flatMap((sample, index) => (sample[series] === undefined ? [] : [`${x(index)},${y(sample[series])}`]));
    if (points.length > 1) children.push(svgElement('polyline', { points: points.join(' '), class: series }));
  }
  chart.replaceChildren(...children);
}

// --- users, sessions, sockets, revocation -------------------------------------------------------------------

let currentUser;

async function showUser(user) {
  currentUser = user;
  const [sessions, sockets] = await Promise.all([
    api('GET', `/admin/users/${encodeURIComponent(user.id)}/sessions`),
    api('GET', `/admin/users/${encodeURIComponent(user.id)}/connections`),
  ]);
  $('#user-name').textContent = user.username;
  $('#user-id').textContent = user.id;
  $('#sessions tbody').replaceChildren(
    ...sessions.map((session) => {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'danger';
      revoke.textContent = 'Revoke';
      revoke.setAttribute('aria-label', `Revoke session ${session.sessionId}`);
      revoke.addEventListener('click', () =>
        busy(() => revokeAndShow(`/admin/users/${encodeURIComponent(user.id)}/sessions/${encodeURIComponent(session.sessionId)}/revoke`, `session ${session.sessionId}`)),
      );
      const action = document.createElement('td');
      action.append(revoke);
      const tr = row(cell(session.sessionId), cell(time(session.createdAt)), cell(time(session.lastSeenAt)), cell(time(session.expiresAt)), cell(session.ip), cell(session.userAgent), action);
      tr.dataset.session = session.sessionId;
      return tr;
    }),
  );
  $('#sockets tbody').replaceChildren(
    ...sockets.map((socket) => {
      const tr = row(
        cell(socket.nodeId),
        cell(socket.socketId),
        cell(socket.sessionId),
        cell(socket.transport ?? '—'),
        cell(time(socket.connectedAt)),
        cell(time(socket.credentialExpiresAt)),
      );
      tr.dataset.session = socket.sessionId;
      return tr;
    }),
  );
  $('#sockets').dataset.count = String(sockets.length);
  $('#user').hidden = false;
}

async function revokeAndShow(path, what) {
  const receipt = await api('POST', path);
  const unconfirmed = receipt.unconfirmedNodes.length === 0 ? 'every live node confirmed' : `not confirmed by ${receipt.unconfirmedNodes.join(', ')}`;
  $('#receipt-summary').textContent =
    `Revoked ${what}: ${receipt.revokedSessions} session(s) ended, ${receipt.closedSockets} socket(s) closed; ${unconfirmed}.`;
  $('#receipt-nodes tbody').replaceChildren(...receipt.nodes.map((node) => row(cell(node.nodeId), cell(String(node.closedSockets)))));
  $('#receipt').hidden = false;
  $('#receipt').dataset.closed = String(receipt.closedSockets);
  await showUser(currentUser);
  await refreshCluster();
}

$('#lookup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(async () => {
    $('#receipt').hidden = true;
    $('#user').hidden = true;
    await showUser(await api('GET', `/admin/users?username=${encodeURIComponent($('#lookup').value)}`));
  });
});

$('#revoke-user').addEventListener('click', () => {
  if (!currentUser) return;
  void busy(() => revokeAndShow(`/admin/users/${encodeURIComponent(currentUser.id)}/revoke`, `user ${currentUser.username}`));
});

// A session cookie from an earlier visit signs the operator in again.
void busy(async () => {
  try {
    await signedIn(await api('GET', '/auth/me'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signedOut();
    throw error;
  }
});
