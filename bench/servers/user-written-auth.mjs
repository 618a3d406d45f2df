/* global fetch */
// The handshake authentication users write themselves, as tutorials show it: an `io.use` middleware that verifies
// the access token with `jsonwebtoken` and reads the session from Redis once. Same ES256 token as the gateway
// checks, the auth service's public key (fetched once from its JWKS), the session hash as the auth service stores
// it (`session:{<userId>}:<sessionId>`, a hash: one HGETALL is the one read that fits). It does not touch the
// session, write a registry entry, enforce a per-user cap or re-check later: the gateway does all of that.
//
// keyForm 'pem': the key as a PEM string, as tutorials pass it (jsonwebtoken parses it again on every verify).
// keyForm 'keyobject': a KeyObject created once (the strong baseline).
import { createPublicKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Redis } from 'ioredis';

export async function userWrittenAuth({ jwksUrl, redisUrl, keyForm, issuer, audience }) {
  const response = await fetch(jwksUrl);
  if (!response.ok) throw new Error(`GET ${jwksUrl}: ${response.status}`);
  const [jwk] = (await response.json()).keys;
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const key = keyForm === 'pem' ? publicKey.export({ type: 'spki', format: 'pem' }) : publicKey;
  const redis = new Redis(redisUrl);
  const middleware = async (socket, next) => {
    let claims;
    try {
      claims = jwt.verify(socket.handshake.auth?.token, key, { algorithms: ['ES256'], issuer, audience });
    } catch {
      return next(new Error('UNAUTHORIZED'));
    }
    try {
      const session = await redis.hgetall(`session:{${claims.sub}}:${claims.sid}`);
      if (!session.expiresAt || Number(session.expiresAt) <= Date.now()) return next(new Error('SESSION_ENDED'));
      socket.data.user = { id: claims.sub, sessionId: claims.sid, roles: claims.roles };
      return next();
    } catch {
      return next(new Error('UNAVAILABLE'));
    }
  };
  return { middleware, close: () => redis.disconnect() };
}
