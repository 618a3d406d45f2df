import { InvalidConfigError } from '@app/config';
import { loadGatewayConfig } from './gateway.config';

describe('loadGatewayConfig', () => {
  it('has safe local defaults', () => {
    const config = loadGatewayConfig({ NODE_ID: 'gw-1' });
    expect(config.nodeId).toBe('gw-1');
    expect(config.sessionwire.nodeId).toBe('gw-1');
    expect(config.sessionwire.allowQueryToken).toBe(false);
    expect(config.sessionwire.recheckIntervalSeconds).toBe(30);
    expect(config.sessionwire.presence.heartbeatTtlSeconds).toBeGreaterThan(config.sessionwire.presence.heartbeatIntervalSeconds);
  });

  it('refuses a heartbeat TTL not longer than its interval', () => {
    expect(() => loadGatewayConfig({ HEARTBEAT_INTERVAL: '10', HEARTBEAT_TTL: '10' })).toThrow(InvalidConfigError);
    expect(() => loadGatewayConfig({ HEARTBEAT_INTERVAL: '10', HEARTBEAT_TTL: '10' })).toThrow(/HEARTBEAT_TTL/);
  });

  it('refuses a node id that would break key names', () => {
    expect(() => loadGatewayConfig({ NODE_ID: 'gw {1}' })).toThrow(/NODE_ID/);
  });

  it('reads OIDC_ISSUERS as a JSON array of trusted issuers, none by default', () => {
    expect(loadGatewayConfig({}).sessionwire.oidcIssuers).toEqual([]);
    const [entry] = loadGatewayConfig({ OIDC_ISSUERS: JSON.stringify([{ name: 'idp', issuer: 'https://idp.example.com', audience: 'api' }]) }).sessionwire.oidcIssuers;
    expect(entry).toMatchObject({ name: 'idp', algorithms: ['RS256', 'ES256'], clockSkewSeconds: 30 });
  });

  it('names the bad OIDC_ISSUERS entry and field, or says it is not JSON', () => {
    const entries = [
      { name: 'idp', issuer: 'https://idp.example.com', audience: 'api' },
      { name: 'other', issuer: 'https://other.example.com', audience: 'api', algorithms: ['HS256'] },
    ];
    expect(() => loadGatewayConfig({ OIDC_ISSUERS: JSON.stringify(entries) })).toThrow(/OIDC_ISSUERS\.1\.algorithms\.0: expected one of/);
    expect(() => loadGatewayConfig({ OIDC_ISSUERS: '[{' })).toThrow(/OIDC_ISSUERS: expected JSON/);
  });
});
