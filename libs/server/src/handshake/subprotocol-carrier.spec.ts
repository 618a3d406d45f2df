import type { IncomingMessage } from 'node:http';
import { offeredProtocols, selectingProtocol, subprotocolToken } from './subprotocol-carrier';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';
const request = {} as IncomingMessage;

describe('offeredProtocols', () => {
  it('splits the comma-separated list, repeated headers included, and drops empty entries', () => {
    expect(offeredProtocols(undefined)).toEqual([]);
    expect(offeredProtocols(`sessionwire.v1, sessionwire.bearer.${JWT},chat`)).toEqual(['sessionwire.v1', `sessionwire.bearer.${JWT}`, 'chat']);
    expect(offeredProtocols(' , a ,')).toEqual(['a']);
  });
});

describe('subprotocolToken', () => {
  it('is undefined when no protocol carries a token', () => {
    expect(subprotocolToken([])).toBeUndefined();
    expect(subprotocolToken(['sessionwire.v1', 'chat'])).toBeUndefined();
  });

  it('takes the token next to the versioned name, in either order', () => {
    expect(subprotocolToken(['sessionwire.v1', `sessionwire.bearer.${JWT}`])).toBe(JWT);
    expect(subprotocolToken([`sessionwire.bearer.${JWT}`, 'sessionwire.v1'])).toBe(JWT);
  });

  it('refuses two tokens, a token without the versioned name and an empty token', () => {
    expect(() => subprotocolToken(['sessionwire.v1', `sessionwire.bearer.${JWT}`, 'sessionwire.bearer.other'])).toThrow(/one sessionwire.bearer/);
    expect(() => subprotocolToken([`sessionwire.bearer.${JWT}`])).toThrow(/sessionwire.v1/);
    expect(() => subprotocolToken(['sessionwire.v1', 'sessionwire.bearer.'])).toThrow(/no token/);
  });
});

describe('selectingProtocol', () => {
  it('selects sessionwire.v1 whenever it is offered, before the app sees anything', () => {
    const app = jest.fn(() => 'chat' as const);
    expect(selectingProtocol(app)(new Set([`sessionwire.bearer.${JWT}`, 'chat', 'sessionwire.v1']), request)).toBe('sessionwire.v1');
    expect(app).not.toHaveBeenCalled();
  });

  it('never selects a token-carrying protocol, by default or through the app', () => {
    expect(selectingProtocol(undefined)(new Set([`sessionwire.bearer.${JWT}`]), request)).toBe(false);
    expect(selectingProtocol(undefined)(new Set([`sessionwire.bearer.${JWT}`, 'chat']), request)).toBe('chat');
    const app = jest.fn((protocols: Set<string>) => protocols.values().next().value ?? false);
    expect(selectingProtocol(app)(new Set([`sessionwire.bearer.${JWT}`, 'mqtt']), request)).toBe('mqtt');
    expect(app).toHaveBeenCalledWith(new Set(['mqtt']), request);
  });
});
