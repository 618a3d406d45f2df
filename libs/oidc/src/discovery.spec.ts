import { discoveredJwksUriProblem } from './discovery';

describe('discoveredJwksUriProblem', () => {
  it('takes an https jwks_uri of an https issuer, and http for an http (loopback) issuer', () => {
    expect(discoveredJwksUriProblem('https://idp.example.com', 'https://keys.idp.example.com/jwks')).toBeUndefined();
    expect(discoveredJwksUriProblem('http://127.0.0.1:4000', 'http://127.0.0.1:4000/jwks')).toBeUndefined();
  });

  it("refuses a plain http jwks_uri named by an https issuer's document (loopback included)", () => {
    expect(discoveredJwksUriProblem('https://idp.example.com', 'http://127.0.0.1:6379/jwks')).toMatch(/not https, as the issuer is/);
    expect(discoveredJwksUriProblem('https://idp.example.com', 'http://localhost/jwks')).toMatch(/not https/);
  });
});
