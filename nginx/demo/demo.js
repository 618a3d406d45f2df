// The sessionwire demo: sign in, connect a Socket.IO socket through nginx with either credential style, chat
// across nodes, and end sessions (this one, all of yours, or, as an admin, someone else's). Or sign in at the local
// OpenID Provider (`npm start -- --oidc`, served by nginx at /idp/) and open the socket with its access token. No
// framework, no build step. The socket is the client SDK (libs/client, docs/client-sdk.md), whose browser bundle nginx serves
// at /vendor/.
import { connect as connectSdk, createTokenRefresher, MemoryTokenStore, RefreshRejectedError, RefreshUnavailableError } from '/vendor/sessionwire-client.js';

const $ = (id) => document.getElementById(id);

/**
 * Token style: the access and refresh tokens, in memory only (never in storage). One refresher for the API
 * calls and the socket: refresh tokens are single-use, and presenting a used one ends the session.
 */
const tokens = new MemoryTokenStore();
const refresh = createTokenRefresher({ store: tokens });

const state = {
  /** {id, username, roles} while signed in. */
  user: undefined,
  sessionId: undefined,
  /**
   * 'token': Authorization header and socket.io `auth: {token}`; 'cookie': only the HttpOnly cookie, no token kept;
   * 'provider': the identity provider's access token for the socket (`tokens`), no auth API session.
   */
  credential: 'token',
  /** The identity provider's discovery document, when nginx serves one at /idp/. */
  idp: undefined,
  /** While signed in at the identity provider: {issuer, sub, sid, idToken} of the last tokens. */
  providerSession: undefined,
  /** The SDK client while connected or reconnecting. */
  client: undefined,
  /** The chat room joined, re-joined after every reconnect (rooms belong to a connection, on one node). */
  room: undefined,
  /** The user the admin view shows. */
  lookedUp: undefined,
};

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code;
  }
}

// ---------------------------------------------------------------------------------------------------- HTTP

/**
 * A JSON request to the auth API. Token style sends `Authorization: Bearer` and never sends or stores the cookie
 * (`credentials: 'omit'`), so a token tab and a cookie tab of one browser stay two separate sessions.
 */
async function api(method, path, body) {
  busy(+1);
  try {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    if (state.credential === 'token' && tokens.get()) headers.authorization = `Bearer ${await accessToken()}`;
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: state.credential === 'token' ? 'omit' : 'same-origin',
    });
    const payload = response.status === 204 ? undefined : await response.json().catch(() => undefined);
    if (!response.ok) throw new ApiError(response.status, payload);
    return payload;
  } finally {
    busy(-1);
  }
}

let requestsInFlight = 0;

/** `aria-busy` on the page while API requests are under way (assistive technology, and the tests, wait for it). */
function busy(change) {
  requestsInFlight += change;
  document.querySelector('main').setAttribute('aria-busy', String(requestsInFlight > 0));
}

function keepTokens({ accessToken, refreshToken, expiresIn }) {
  tokens.set({ accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 });
}

/** The access token, refreshed first when it has less than `minValidityMs` left. */
async function accessToken(minValidityMs = 30_000) {
  const current = tokens.get();
  if (!current) throw new ApiError(401, { code: 'UNAUTHORIZED', message: 'Not signed in' });
  if (Date.now() < current.expiresAt - minValidityMs) return current.accessToken;
  return refreshTokens();
}

/** The refresh of this session's tokens: at the auth service, or at the identity provider. */
const refreshTokens = () => (state.credential === 'provider' ? refreshAtProvider() : refresh());

// ------------------------------------------------------------------------------------------ signing in/out

async function signIn(action, username, password, credential) {
  disconnect();
  tokens.clear();
  state.credential = credential;
  if (action === 'sign-up') await api('POST', '/auth/register', { username, password });
  const login = await api('POST', '/auth/login', { username, password });
  // Cookie style keeps no token in the page: the HttpOnly cookie set by this response is the only credential.
  if (credential === 'token') keepTokens(login);
  signedIn(login.user, login.sessionId);
}

function signedIn(user, sessionId) {
  Object.assign(state, { user, sessionId, room: undefined, lookedUp: undefined });
  $('signed-out').hidden = true;
  $('password').value = '';
  render();
  refreshPresence().catch(handleError);
}

/** The session is over (here or elsewhere): say why, close the socket for good and forget every credential. */
function signedOut(reason) {
  disconnect();
  tokens.clear();
  Object.assign(state, { user: undefined, sessionId: undefined, room: undefined, lookedUp: undefined, providerSession: undefined });
  const banner = $('signed-out');
  banner.textContent = `Signed out: ${reason}`;
  banner.dataset.at = String(Date.now());
  banner.hidden = false;
  render();
}

async function logout(path, reason) {
  await api('POST', path);
  if (state.user) signedOut(reason); // unless this tab's socket already heard `session:ended`
}

/** A reload keeps a cookie session (the cookie outlives the page; tokens do not). */
async function resumeCookieSession() {
  const response = await fetch('/auth/me', { credentials: 'same-origin' });
  if (!response.ok || state.user) return;
  const me = await response.json();
  state.credential = 'cookie';
  signedIn({ id: me.id, username: me.username, roles: me.roles }, me.sessionId);
}

// ------------------------------------------------------------------------------------- the identity provider
//
// The authorization code flow with PKCE (RFC 7636, S256) of a public client, in this page: the provider's endpoints
// are under this origin (nginx's /idp/), so the page's CSP (`connect-src 'self'`) holds. The client and the resource
// are the local provider's (scripts/lib/local-provider.mjs: LOCAL_CLIENT_ID, LOCAL_AUDIENCE).

const IDP_CLIENT_ID = 'sessionwire-demo';
const IDP_RESOURCE = 'urn:sessionwire:gateway';
/** The sign-in under way (verifier, state, nonce), kept over the redirect to the provider and back, in this tab only. */
const PENDING_SIGN_IN = 'sessionwire-demo:idp-sign-in';
/** The redirect URI and post-logout redirect URI registered for the demo: this page. */
const pageUrl = () => `${location.origin}/`;

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** The claims of a JWT the page received from the provider's token endpoint itself (over this origin): not verified here. */
function claimsOf(jwt) {
  const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (char) => char.charCodeAt(0))));
}

/** Shows the provider's sign-in when nginx serves one at /idp/ (`npm start -- --oidc`); elsewhere /idp/ is a 404. */
async function discoverProvider() {
  const response = await fetch('/idp/.well-known/openid-configuration', { credentials: 'omit' });
  if (response.ok) state.idp = await response.json();
  document.body.dataset.identityProvider = state.idp ? 'available' : 'none';
  render();
}

async function signInAtProvider() {
  const verifier = randomToken();
  const pending = { verifier, state: randomToken(), nonce: randomToken() };
  sessionStorage.setItem(PENDING_SIGN_IN, JSON.stringify(pending));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const authorize = new URL(state.idp.authorization_endpoint);
  for (const [name, value] of Object.entries({
    client_id: IDP_CLIENT_ID,
    response_type: 'code',
    redirect_uri: pageUrl(),
    // offline_access: a refresh token (the provider grants it with prompt=consent), for the in-band refresh.
    scope: 'openid offline_access roles',
    prompt: 'consent',
    resource: IDP_RESOURCE,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  })) {
    authorize.searchParams.set(name, value);
  }
  location.assign(authorize.href);
}

/**
 * Back from the provider (`?code=…&state=…`, or `?error=…`): the state must be this tab's, the `iss` the provider's
 * (RFC 9207: no mix-up with another issuer); then the code is exchanged and the socket opened. Resolves with whether
 * this load was such a return.
 */
async function completeProviderSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('state')) return false;
  // The code and state leave the address bar (and the history) at once.
  history.replaceState(null, '', location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_SIGN_IN) ?? 'null');
  sessionStorage.removeItem(PENDING_SIGN_IN);
  if (!params.has('code') && !params.has('error')) {
    // The provider's sign-out came back here (post_logout_redirect_uri): in the window opened for it, which closes.
    if (window.opener) window.close();
    return true;
  }
  if (!pending || params.get('state') !== pending.state) throw new Error('Sign-in answer from the identity provider refused: its state is not the one this tab sent.');
  if (params.has('error')) throw new Error(`The identity provider refused the sign-in: ${params.get('error_description') ?? params.get('error')}`);
  if (!state.idp) throw new Error('No identity provider is served at /idp/ any more.');
  const iss = params.get('iss');
  if (iss !== null ? iss !== state.idp.issuer : state.idp.authorization_response_iss_parameter_supported) {
    throw new Error(`Sign-in answer refused: it names issuer ${iss}, not ${state.idp.issuer}.`);
  }
  const answer = await tokenRequest({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: pageUrl(), code_verifier: pending.verifier });
  if (claimsOf(answer.id_token).nonce !== pending.nonce) throw new Error('Sign-in refused: the ID token is not for this sign-in (nonce).');
  disconnect();
  state.credential = 'provider';
  keepProviderTokens(answer);
  signedIn({ id: undefined, username: state.providerSession.sub, roles: [] }, undefined);
  connect();
  return true;
}

/** A grant at the provider's token endpoint (form-encoded, no cookie); resolves with its JSON answer. */
async function tokenRequest(grant) {
  busy(+1);
  try {
    const response = await fetch(state.idp.token_endpoint, {
      method: 'POST',
      credentials: 'omit',
      body: new URLSearchParams({ ...grant, client_id: IDP_CLIENT_ID, resource: IDP_RESOURCE }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new ProviderTokenError(response.status, answer);
    return answer;
  } finally {
    busy(-1);
  }
}

class ProviderTokenError extends Error {
  constructor(status, answer) {
    super(`The identity provider's token endpoint answered ${status} ${answer.error ?? ''}: ${answer.error_description ?? ''}`);
    this.status = status;
  }
}

function keepProviderTokens({ access_token, refresh_token, id_token, expires_in }) {
  const claims = claimsOf(access_token);
  // A refresh answers a new ID token too; the last one is the hint of the sign-out.
  state.providerSession = { issuer: claims.iss, sub: claims.sub, sid: claims.sid, idToken: id_token ?? state.providerSession?.idToken };
  keepTokens({ accessToken: access_token, refreshToken: refresh_token, expiresIn: expires_in });
}

let providerRefresh;

/**
 * The refresh grant at the provider, one at a time (its refresh tokens rotate). A 400 or 401 ends the session
 * (`RefreshRejectedError`); anything else is retried by the SDK (`RefreshUnavailableError`).
 */
function refreshAtProvider() {
  providerRefresh ??= (async () => {
    const refreshToken = tokens.get()?.refreshToken;
    if (!refreshToken) throw new RefreshRejectedError('No refresh token from the identity provider: sign in again');
    let answer;
    try {
      answer = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    } catch (error) {
      if (error instanceof ProviderTokenError && [400, 401].includes(error.status)) throw new RefreshRejectedError(error.message);
      throw new RefreshUnavailableError(error.message);
    }
    keepProviderTokens(answer);
    return answer.access_token;
  })().finally(() => {
    providerRefresh = undefined;
  });
  return providerRefresh;
}

/**
 * RP-initiated logout, in a window of its own: the provider asks the user to confirm, ends its session and sends its
 * back-channel logout (through nginx to auth), and this page's socket ends with `session:ended {provider_logout}`.
 * Without a window (a popup blocker), this page goes to the provider and back.
 */
function signOutAtProvider() {
  const endSession = new URL(state.idp.end_session_endpoint);
  for (const [name, value] of Object.entries({
    id_token_hint: state.providerSession.idToken,
    client_id: IDP_CLIENT_ID,
    post_logout_redirect_uri: pageUrl(),
    state: randomToken(),
  })) {
    endSession.searchParams.set(name, value);
  }
  if (!window.open(endSession.href, 'sessionwire-idp-sign-out', 'popup,width=520,height=600')) location.assign(endSession.href);
}

// ------------------------------------------------------------------------------------------------ the socket

function connect() {
  disconnect();
  const byToken = state.credential !== 'cookie';
  // The SDK answers the gateway's `auth:expiring` with a fresh token, reconnects (a drained or lost node) with a
  // fresh token and jittered backoff, and reports a session that ended as `signedOut`. WebSocket first (nginx
  // spreads tabs over the replicas), long-polling only if WebSocket fails.
  const client = connectSdk({
    credentials: byToken ? 'token' : 'cookie',
    ...(byToken && { getAccessToken: () => accessToken(), refresh: refreshTokens, tokenStore: tokens }),
  });
  state.client = client;
  $('token-refreshes').textContent = '0';
  setConnection('connecting', 'connecting…');
  const current = (handler) => (payload) => client === state.client && handler(payload);
  client.on('connected', current(() => connected(client).catch(handleError)));
  client.on('signedOut', current(({ reason }) => signedOut(reason)));
  client.on(
    'tokenRefreshed',
    current(() => {
      $('token-refreshes').textContent = String(Number($('token-refreshes').textContent) + 1);
    }),
  );
  client.on(
    'disconnected',
    current(({ reason, willReconnect }) => {
      $('node').textContent = 'none';
      if (willReconnect) setConnection('reconnecting', `lost (${reason}), reconnecting…`);
      else setConnection('disconnected', `disconnected (${reason})`);
    }),
  );
  client.on('reconnecting', current(({ attempt }) => setConnection('reconnecting', `reconnecting (attempt ${attempt})…`)));
  client.socket.on('server:draining', current(() => setConnection('reconnecting', 'node shutting down, moving to another…')));
  client.socket.on('room:message', showMessage);
}

async function connected(client) {
  const transport = () => client.socket.io.engine.transport.name;
  setConnection('connected', `connected (${transport()})`);
  client.socket.io.engine.once('upgrade', () => client === state.client && setConnection('connected', `connected (${transport()})`));
  const reply = await client.socket.emitWithAck('whoami');
  if (client !== state.client) return;
  $('node').textContent = reply.ok ? reply.nodeId : `unknown (${reply.error.code})`;
  if (reply.ok) $('user-id').textContent = reply.userId;
  if (state.room) await joinRoom(state.room);
  await refreshPresence();
}

/** Closes this tab's socket for good (the SDK then never reconnects); the session itself goes on. */
function disconnect() {
  const client = state.client;
  state.client = undefined;
  client?.close();
  setConnection('idle', 'not connected');
  $('node').textContent = 'none';
}

function setConnection(name, text) {
  $('connection').dataset.state = name;
  $('connection').textContent = text;
  $('connect').disabled = !state.user || state.client !== undefined;
  $('disconnect').disabled = state.client === undefined;
}

// -------------------------------------------------------------------------------------------------- chat

async function joinRoom(room) {
  if (!state.client?.socket.connected) throw new Error('Connect first.');
  const reply = await state.client.socket.emitWithAck('room:join', { room });
  if (!reply.ok) throw new Error(reply.error.message);
  if (state.room && state.room !== room) state.client.socket.emit('room:leave', { room: state.room });
  state.room = room;
  $('joined').textContent = `joined ${room}`;
}

async function sendMessage(text) {
  if (!state.room || !state.client?.socket.connected) throw new Error('Connect and join a room first.');
  const reply = await state.client.socket.emitWithAck('room:message', { room: state.room, text });
  if (!reply.ok) throw new Error(reply.error.message);
  $('message').value = '';
}

function showMessage({ room, fromUserId, text, at }) {
  const item = document.createElement('li');
  const from = fromUserId === state.user?.id ? 'you' : `user ${fromUserId.slice(0, 8)}`;
  item.textContent = `[${new Date(at).toLocaleTimeString()}] #${room} ${from}: ${text}`;
  $('chat-log').append(item);
}

// ---------------------------------------------------------------------------------- sessions, admin view

const isAdmin = () => state.user?.roles.includes('admin') ?? false;
const shortId = (id) => `${id.slice(0, 8)}…`;
const time = (iso) => new Date(iso).toLocaleString();
const connectionRow = (c) => [c.nodeId, c.socketId, shortId(c.sessionId), time(c.connectedAt)];

/** Replaces a table's rows; every value goes in as text, never as HTML. */
function fillTable(id, rows) {
  const body = $(id).tBodies[0];
  body.replaceChildren(
    ...(rows.length > 0 ? rows : [['none']]).map((cells) => {
      const row = document.createElement('tr');
      for (const cell of cells) row.insertCell().textContent = cell;
      return row;
    }),
  );
}

async function refreshPresence() {
  if (!state.user || state.credential === 'provider') return;
  const sessions = await api('GET', '/auth/sessions');
  fillTable('sessions', sessions.map((s) => [shortId(s.sessionId), time(s.createdAt), s.userAgent, s.current ? 'yes' : '']));
  if (!isAdmin()) return;
  const [mine, counts] = await Promise.all([api('GET', `/admin/users/${state.user.id}/connections`), api('GET', '/admin/connections/count')]);
  fillTable('my-connections', mine.map(connectionRow));
  $('node-counts').textContent = counts.nodes.map((n) => `${n.nodeId}: ${n.connections}${n.alive ? '' : ' (not alive)'}`).join(', ') || 'none';
  if (state.lookedUp) await showUser(state.lookedUp);
}

async function lookUp(username) {
  const user = await api('GET', `/admin/users?username=${encodeURIComponent(username)}`);
  $('revoke-result').textContent = '';
  await showUser(user);
}

async function showUser(user) {
  const connections = await api('GET', `/admin/users/${user.id}/connections`);
  state.lookedUp = user;
  $('lookup-name').textContent = user.username;
  $('lookup-id').textContent = user.id;
  fillTable('user-connections', connections.map(connectionRow));
  $('lookup-result').hidden = false;
}

async function revoke() {
  const user = state.lookedUp;
  // Answers once every live gateway confirmed how many of the user's sockets it closed.
  const result = await api('POST', `/admin/users/${user.id}/revoke`);
  const perNode = result.nodes.filter((n) => n.closedSockets > 0).map((n) => `${n.nodeId}: ${n.closedSockets}`);
  const unconfirmed = result.unconfirmedNodes.length > 0 ? `; not confirmed by ${result.unconfirmedNodes.join(', ')}` : '';
  $('revoke-result').textContent =
    `Revoked ${result.revokedSessions} session(s) of ${user.username}; sockets closed: ${result.closedSockets}` +
    `${perNode.length > 0 ? ` (${perNode.join(', ')})` : ''}${unconfirmed}.`;
  if (state.user) await showUser(user); // an admin who revoked themselves is signed out by now
}

// ------------------------------------------------------------------------------------------------ the page

function render() {
  const signedIn = state.user !== undefined;
  const atProvider = signedIn && state.credential === 'provider';
  document.body.dataset.state = signedIn ? 'signed-in' : 'signed-out';
  $('account').hidden = signedIn;
  $('identity-provider').hidden = state.idp === undefined;
  for (const id of ['session', 'chat']) $(id).hidden = !signedIn;
  // The auth service's sessions and logouts are not those of a provider's session: it ends at the provider.
  $('presence').hidden = !signedIn || atProvider;
  for (const id of ['logout', 'logout-all']) $(id).hidden = atProvider;
  $('idp-sign-out').hidden = !atProvider;
  $('provider-identity').hidden = !atProvider;
  $('provider-issuer').textContent = atProvider ? state.providerSession.issuer : '';
  $('provider-sub').textContent = atProvider ? state.providerSession.sub : '';
  $('provider-sid').textContent = atProvider ? state.providerSession.sid : '';
  if (!atProvider) {
    $('user-id').textContent = 'not connected';
    $('token-refreshes').textContent = '0';
  }
  $('admin').hidden = !isAdmin();
  $('my-connections').hidden = !isAdmin();
  $('lookup-result').hidden = state.lookedUp === undefined;
  $('who').textContent = signedIn ? `${state.user.username}${isAdmin() ? ' (admin)' : ''}` : '';
  $('credential-style').textContent = { token: 'bearer token', cookie: 'HttpOnly session cookie', provider: "the identity provider's access token" }[state.credential];
  if (!signedIn) {
    $('joined').textContent = '';
    $('chat-log').replaceChildren();
  }
  setConnection($('connection').dataset.state, $('connection').textContent);
}

function handleError(error) {
  // A refused credential on any request means this session is over.
  if (error instanceof ApiError && error.status === 401 && state.user) return signedOut(error.code ?? 'UNAUTHORIZED');
  if (error instanceof RefreshRejectedError && state.user) return signedOut(error.code ?? 'refresh_failed');
  $('problem').textContent = error.message;
  $('problem').hidden = false;
}

/** Wires a control to an async handler; a form's submit stays on the page. */
function on(id, event, handler) {
  $(id).addEventListener(event, (domEvent) => {
    if (event === 'submit') domEvent.preventDefault();
    $('problem').hidden = true;
    handler(domEvent).catch(handleError);
  });
}

on('sign-in-form', 'submit', (event) => {
  const form = new FormData(event.target);
  return signIn(event.submitter?.value ?? 'sign-in', form.get('username'), form.get('password'), form.get('credential'));
});
on('connect', 'click', async () => connect());
on('disconnect', 'click', async () => disconnect());
on('logout', 'click', () => logout('/auth/logout', 'logout'));
on('logout-all', 'click', () => logout('/auth/logout-all', 'logout_all'));
on('refresh', 'click', () => refreshPresence());
on('join-form', 'submit', () => joinRoom($('room').value));
on('message-form', 'submit', () => sendMessage($('message').value));
on('lookup-form', 'submit', () => lookUp($('lookup-username').value));
on('revoke', 'click', () => revoke());
on('idp-sign-in', 'click', () => signInAtProvider());
on('idp-sign-out', 'click', async () => signOutAtProvider());

render();
discoverProvider()
  .then(() => completeProviderSignIn())
  .then((returned) => returned || resumeCookieSession())
  .catch(handleError);
