import { BlockList, isIP } from 'node:net';

// The client's address behind trusted reverse proxies (--proxy-trusted-headers and
// --proxy-trusted-origins, as the reference's). A header is believed only when the connection
// comes from a trusted origin; without both options every header is ignored.

export interface ProxyTrust {
  /** Header names, e.g. X-Forwarded-For, X-Real-IP; tried in order. */
  trustedHeaders: string[];
  /** CIDRs (or single addresses) of the proxies whose headers are believed. */
  trustedOrigins: string[];
}

/** "a, b ,c" → ["a", "b", "c"]. */
export const parseList = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** ::ffff:1.2.3.4 (IPv4 on a dual-stack socket) → 1.2.3.4; anything else unchanged. */
export function normaliseAddress(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return m ? m[1] : a;
}

/** Parses the trusted origins; throws an Error naming the first bad entry. */
export function trustedOriginList(origins: string[]): BlockList {
  const list = new BlockList();
  for (const o of origins) {
    const [addr, bits, extra] = o.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (!family || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32) || bits === '') {
      throw new Error(`"${o}" is not an IP address or CIDR`);
    }
    list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** A function from the socket's peer address and the request headers to the client's address. */
export function createAddressResolver(trust: ProxyTrust): (peer: string | undefined, headers: Record<string, string | string[] | undefined>) => string {
  const origins = trustedOriginList(trust.trustedOrigins);
  const headers = trust.trustedHeaders.map((h) => h.toLowerCase());
  const trusted = (a: string): boolean => {
    const family = isIP(a);
    return !!family && origins.check(a, family === 6 ? 'ipv6' : 'ipv4');
  };
  const enabled = headers.length > 0 && trust.trustedOrigins.length > 0;

  return (rawPeer, reqHeaders) => {
    const peer = normaliseAddress(rawPeer ?? '');
    if (!enabled || !trusted(peer)) return peer;
    for (const name of headers) {
      const raw = reqHeaders[name];
      const value = Array.isArray(raw) ? raw.join(',') : raw;
      if (!value) continue;
      // A list header (X-Forwarded-For): every proxy appends the address it saw, so the client is
      // the right-most address that is not one of our proxies; anything left of it is the
      // client's own claim. A single-value header (X-Real-IP) is the proxy's word.
      const hops = value.split(',').map((s) => normaliseAddress(s.trim()));
      for (let i = hops.length - 1; i >= 0; i--) {
        if (!isIP(hops[i])) break; // garbage: stop believing this header
        if (!trusted(hops[i]) || i === 0) return hops[i];
      }
    }
    return peer;
  };
}
