import { describe, expect, it } from 'vitest';
import { createAddressResolver } from '../../src/lib/client-address.js';
import { ConfigError, resolveConfig } from '../../src/server/config.js';

describe('client address behind trusted proxies', () => {
  const resolve = createAddressResolver({ trustedHeaders: ['X-Forwarded-For', 'X-Real-IP'], trustedOrigins: ['127.0.0.1/32', '10.0.0.0/8', '::1'] });

  it('believes the headers only from a trusted peer', () => {
    expect(resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
    expect(resolve('::ffff:127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
    expect(resolve('::1', { 'x-real-ip': '2001:db8::5' })).toBe('2001:db8::5');
    expect(resolve('192.0.2.1', { 'x-forwarded-for': '198.51.100.7' })).toBe('192.0.2.1');
    expect(resolve('127.0.0.1', {})).toBe('127.0.0.1');
  });

  it('takes the right-most X-Forwarded-For address that is not a trusted proxy', () => {
    expect(resolve('127.0.0.1', { 'x-forwarded-for': '192.0.2.66, 198.51.100.7, 10.1.2.3' })).toBe('198.51.100.7');
    expect(resolve('127.0.0.1', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' })).toBe('10.0.0.1');
    // Garbage from the right stops the header from being believed; the next header is tried.
    expect(resolve('127.0.0.1', { 'x-forwarded-for': '198.51.100.7, not-an-ip', 'x-real-ip': '203.0.113.1' })).toBe('203.0.113.1');
    expect(resolve('127.0.0.1', { 'x-forwarded-for': 'nonsense' })).toBe('127.0.0.1');
    expect(resolve('127.0.0.1', { 'x-forwarded-for': ['198.51.100.1', '198.51.100.2'] })).toBe('198.51.100.2');
  });

  it('ignores every header without both options', () => {
    for (const r of [
      createAddressResolver({ trustedHeaders: [], trustedOrigins: ['127.0.0.1/32'] }),
      createAddressResolver({ trustedHeaders: ['X-Forwarded-For'], trustedOrigins: [] }),
    ]) {
      expect(r('127.0.0.1', { 'x-forwarded-for': '198.51.100.7', 'x-real-ip': '198.51.100.8' })).toBe('127.0.0.1');
    }
  });

  it('the options are HERALD_PROXY_TRUSTED_HEADERS / _ORIGINS and refuse what is not a CIDR or header name', () => {
    const cfg = resolveConfig({ env: { HERALD_PROXY_TRUSTED_HEADERS: 'X-Forwarded-For', HERALD_PROXY_TRUSTED_ORIGINS: '127.0.0.1/32,10.0.0.0/8' } });
    expect(cfg.proxy).toEqual({ trustedHeaders: 'X-Forwarded-For', trustedOrigins: '127.0.0.1/32,10.0.0.0/8' });
    expect(resolveConfig({ flags: { 'proxy.trustedOrigins': '::1/128' } }).proxy.trustedOrigins).toBe('::1/128');
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/', '1.2.3.4/8/1']) {
      expect(() => resolveConfig({ flags: { 'proxy.trustedOrigins': bad } }), bad).toThrow(ConfigError);
    }
    expect(() => resolveConfig({ flags: { 'proxy.trustedHeaders': 'X Forwarded' } })).toThrow(ConfigError);
  });
});
