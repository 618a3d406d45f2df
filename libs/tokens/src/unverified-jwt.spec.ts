import { decodeJwt, decodeProtectedHeader } from 'jose';
import { unverifiedHeader, unverifiedJwt } from './unverified-jwt';

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = { alg: 'ES256', typ: 'at+jwt', kid: 'k1' };
const claims = { iss: 'https://auth.example', sub: 'ü-user', roles: ['user'] };
const token = `${part(header)}.${part(claims)}.c2lnbmF0dXJl`;

describe('unverifiedJwt / unverifiedHeader', () => {
  it('reads what jose reads from a compact JWS', () => {
    expect(unverifiedJwt(token)).toEqual({ header: decodeProtectedHeader(token), claims: decodeJwt(token) });
    expect(unverifiedHeader(token)).toEqual(header);
  });

  it.each([
    ['two parts', `${part(header)}.${part(claims)}`],
    ['five parts (JWE)', `${part(header)}.a.b.c.d`],
    ['a header outside the base64url alphabet', `${part(header)}+.${part(claims)}.sig`],
    ['padding', `${part(header)}=.${part(claims)}.sig`],
    ['an empty header', `.${part(claims)}.sig`],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.${part(claims)}.sig`],
    ['a header that is a JSON array', `${part(['ES256'])}.${part(claims)}.sig`],
    ['a header that is null', `${part(null)}.${part(claims)}.sig`],
    ['a header that is not UTF-8', `${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}.${part(claims)}.sig`],
  ])('refuses %s', (_case, malformed) => {
    expect(unverifiedHeader(malformed)).toBeUndefined();
    expect(unverifiedJwt(malformed)).toBeUndefined();
  });

  it.each([
    ['claims that are a JSON string', `${part(header)}.${part('claims')}.sig`],
    ['empty claims', `${part(header)}..sig`],
    ['claims outside the base64url alphabet', `${part(header)}.${part(claims)}/.sig`],
  ])('refuses %s as a JWT, while its header alone still reads', (_case, malformed) => {
    expect(unverifiedJwt(malformed)).toBeUndefined();
    expect(unverifiedHeader(malformed)).toEqual(header);
  });
});
