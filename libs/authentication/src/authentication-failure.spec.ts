import { AuthenticationFailure, toAuthenticationFailure } from './authentication-failure';

class TokenExpiredError extends Error {
  override name = 'TokenExpiredError';
}

describe('toAuthenticationFailure', () => {
  it('reports an expired token as TOKEN_EXPIRED', () => {
    expect(toAuthenticationFailure([new TokenExpiredError('jwt expired'), undefined]).code).toBe('TOKEN_EXPIRED');
  });

  it('passes a failure through unchanged', () => {
    const failure = new AuthenticationFailure('SESSION_REVOKED', 'gone');
    expect(toAuthenticationFailure([undefined, failure])).toBe(failure);
  });

  it('reports other token errors as UNAUTHORIZED with the reason', () => {
    const failure = toAuthenticationFailure(new Error('invalid signature'));
    expect(failure.code).toBe('UNAUTHORIZED');
    expect(failure.message).toContain('invalid signature');
  });

  it("gives jsonwebtoken's reasons as fixed texts that name no configuration", () => {
    const rejection = (name: string, message: string) => Object.assign(new Error(message), { name });
    expect(toAuthenticationFailure(rejection('JsonWebTokenError', 'jwt audience invalid. expected: urn:secret-api or other')).message).toBe('Access token rejected: jwt audience invalid');
    expect(toAuthenticationFailure(rejection('JsonWebTokenError', 'jwt issuer invalid. expected: https://internal.example')).message).toBe('Access token rejected: jwt issuer invalid');
    expect(toAuthenticationFailure(rejection('JsonWebTokenError', 'jwt subject invalid. expected: internal-subject')).message).toBe('Access token rejected: jwt subject invalid');
    expect(toAuthenticationFailure(rejection('NotBeforeError', 'jwt not active')).message).toBe('Access token rejected: jwt not active');
    expect(toAuthenticationFailure(rejection('JsonWebTokenError', 'error in secret or public key callback: anything')).message).toBe('Access token rejected: invalid token');
  });

  it('asks for credentials when none were sent', () => {
    const failure = toAuthenticationFailure([new Error('No auth token'), undefined]);
    expect(failure.code).toBe('UNAUTHORIZED');
    expect(failure.message).toMatch(/No credentials/);
  });

  it('is a 401 carrying the code in its body', () => {
    expect(new AuthenticationFailure('TOKEN_EXPIRED', 'x').getStatus()).toBe(401);
    expect(new AuthenticationFailure('TOKEN_EXPIRED', 'x').getResponse()).toEqual({ message: 'x', code: 'TOKEN_EXPIRED' });
  });
});
