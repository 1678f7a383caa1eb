// The trust-proxy setting as parsed and applied: which address a request is taken to come from.
import { Socket } from 'node:net';
import { IncomingMessage } from 'node:http';
import { loadSettings } from '../config/settings';
import { clientAddress, trustFunction } from './client-address';

function requestFrom(peer: string, forwardedFor?: string): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: peer });
  const request = new IncomingMessage(socket);
  if (forwardedFor !== undefined) request.headers['x-forwarded-for'] = forwardedFor;
  return request;
}

function addressUnder(value: string | undefined, peer: string, forwardedFor?: string): string | null {
  const settings = loadSettings({ CODEX_LB_TRUST_PROXY: value });
  return clientAddress(requestFrom(peer, forwardedFor), trustFunction(settings.trustProxy));
}

describe('CODEX_LB_TRUST_PROXY', () => {
  it('trusts the dashboard on loopback by default, and nobody else', () => {
    expect(addressUnder(undefined, '127.0.0.1', '203.0.113.5')).toBe('203.0.113.5');
    expect(addressUnder(undefined, '::1', '203.0.113.5')).toBe('203.0.113.5');
    // A client elsewhere writing the header itself.
    expect(addressUnder(undefined, '198.51.100.9', '203.0.113.5')).toBe('198.51.100.9');
    expect(addressUnder(undefined, '127.0.0.1')).toBe('127.0.0.1');
  });

  it('reads the chain from the right through trusted peers only', () => {
    // A forged entry before the one the trusted proxy appended is not believed.
    expect(addressUnder('10.0.0.0/8', '10.0.0.2', '6.6.6.6, 203.0.113.5')).toBe('203.0.113.5');
    expect(addressUnder('10.0.0.0/8, 127.0.0.1', '127.0.0.1', '6.6.6.6, 203.0.113.5, 10.1.2.3')).toBe('203.0.113.5');
  });

  it('takes a hop count, false, and refuses true and nonsense with a message naming the variable', () => {
    expect(addressUnder('1', '198.51.100.9', '6.6.6.6, 203.0.113.5')).toBe('203.0.113.5');
    expect(addressUnder('2', '198.51.100.9', '6.6.6.6, 203.0.113.5')).toBe('6.6.6.6');
    expect(addressUnder('false', '127.0.0.1', '203.0.113.5')).toBe('127.0.0.1');
    expect(() => loadSettings({ CODEX_LB_TRUST_PROXY: 'true' })).toThrow(/CODEX_LB_TRUST_PROXY.*any client/);
    expect(() => loadSettings({ CODEX_LB_TRUST_PROXY: 'proxy.example.com' })).toThrow(/CODEX_LB_TRUST_PROXY/);
    expect(() => loadSettings({ CODEX_LB_TRUST_PROXY: '300.1.1.1' })).toThrow(/CODEX_LB_TRUST_PROXY/);
  });
});

describe('CODEX_LB_MFA_REQUIRED', () => {
  it('is off by default and takes admins or everyone', () => {
    expect(loadSettings({}).mfaPolicy).toBe('off');
    expect(loadSettings({ CODEX_LB_MFA_REQUIRED: 'admins' }).mfaPolicy).toBe('admins');
    expect(() => loadSettings({ CODEX_LB_MFA_REQUIRED: 'sometimes' })).toThrow(/CODEX_LB_MFA_REQUIRED/);
  });
});
