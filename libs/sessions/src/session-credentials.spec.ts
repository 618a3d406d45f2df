import {
  formatRefreshToken,
  formatSessionCookie,
  hashSecret,
  newSecret,
  newSessionId,
  openSealedSecret,
  parseRefreshToken,
  parseSessionCookie,
  sealSecret,
} from './session-credentials';

const userId = '0b9f6a43-6f2c-4c55-8d0a-2f1f0f6c7d11';

describe('session credentials', () => {
  const holder = { userId, sessionId: newSessionId(), secret: newSecret() };

  it('makes 144-bit session ids and 256-bit secrets, base64url', () => {
    expect(holder.sessionId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(holder.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSessionId()).not.toBe(holder.sessionId);
  });

  it('round-trips the cookie and the refresh token', () => {
    expect(parseSessionCookie(formatSessionCookie(holder))).toEqual(holder);
    expect(parseRefreshToken(formatRefreshToken(holder))).toEqual(holder);
  });

  it('never takes one for the other', () => {
    expect(parseSessionCookie(formatRefreshToken(holder))).toBeNull();
    expect(parseRefreshToken(formatSessionCookie(holder))).toBeNull();
  });

  it.each(['', 'garbage', `${userId}.short.secret`, `rt1.${userId}.${'A'.repeat(24)}.${'A'.repeat(42)}`, `rt1.not-a-uuid.${'A'.repeat(24)}.${'A'.repeat(43)}`])(
    'rejects malformed values: %s',
    (value) => {
      expect(parseRefreshToken(value)).toBeNull();
      expect(parseSessionCookie(value)).toBeNull();
    },
  );

  it('stores a secret only as a hash that identifies it', () => {
    const stored = hashSecret(holder.secret);
    expect(stored).not.toContain(holder.secret);
    expect(hashSecret(holder.secret)).toBe(stored);
    expect(hashSecret(newSecret())).not.toBe(stored);
  });

  it('seals a secret so that only the key secret opens it, and detects tampering', () => {
    const successor = newSecret();
    const sealed = sealSecret(successor, holder.secret, holder);

    expect(sealed).not.toContain(successor);
    expect(sealSecret(successor, holder.secret, holder)).not.toBe(sealed);
    expect(openSealedSecret(sealed, holder.secret, holder)).toBe(successor);
    expect(() => openSealedSecret(sealed, newSecret(), holder)).toThrow();
    expect(() => openSealedSecret(sealed, hashSecret(holder.secret), holder)).toThrow();
    const [iv, ciphertext, tag] = sealed.split('.');
    const flipped = `${ciphertext[0] === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`;
    expect(() => openSealedSecret([iv, flipped, tag].join('.'), holder.secret, holder)).toThrow();
    expect(() => openSealedSecret([iv, ciphertext, tag.slice(0, 6)].join('.'), holder.secret, holder)).toThrow();
  });

  it('binds a sealed secret to its session: copied to another session (or user), it does not open there, even with the right key', () => {
    const successor = newSecret();
    const sealed = sealSecret(successor, holder.secret, holder);

    expect(() => openSealedSecret(sealed, holder.secret, { userId, sessionId: newSessionId() })).toThrow();
    expect(() => openSealedSecret(sealed, holder.secret, { userId: '5d1f3c2e-9a4b-4f6e-8c7d-1e2f3a4b5c6d', sessionId: holder.sessionId })).toThrow();
    expect(openSealedSecret(sealed, holder.secret, { userId, sessionId: holder.sessionId })).toBe(successor);
  });
});
