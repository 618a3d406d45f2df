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
});
