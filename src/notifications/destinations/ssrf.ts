// The SSRF guard for URLs users give us (their own destinations, browser push endpoints): the
// address a connection is about to use (resolved at send time, in the connection's own DNS lookup)
// must be a public unicast address. Loopback, private (RFC 1918, ULA), link-local (cloud metadata
// at 169.254.169.254 included), CGNAT, multicast and reserved ranges are refused.

import net from 'node:net';
import type { AddressGuard } from '../dispatch/http-post.js';

const blocked = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) blocked.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) blocked.addSubnet(net6, bits, 'ipv6');

/** Why `address` may not be connected to, or undefined when it is a public address. */
export function blockedReason(address: string): string | undefined {
  let a = address;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1];
  const family = net.isIP(a);
  if (family === 0) return 'not an IP address';
  return blocked.check(a, family === 4 ? 'ipv4' : 'ipv6') ? `${a} is not a public address` : undefined;
}

export const publicAddressGuard: AddressGuard = (address) => blockedReason(address);

/**
 * Checks a literal IP host now (a name is checked when it is resolved at send time). Returns why
 * the URL is refused, or undefined.
 */
export function literalHostBlocked(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) ? blockedReason(host) : undefined;
}
