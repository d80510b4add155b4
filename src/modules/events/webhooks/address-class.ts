import { isIPv4, isIPv6 } from 'node:net';

/**
 * What kind of address an IP is, as far as deciding whether a webhook may reach it: only
 * `public` addresses are reachable unless the host is allowed by configuration. Anything else
 * would let whoever registers a URL make Gatehouse talk to its own network (SSRF): loopback,
 * private ranges (RFC 1918, CGNAT, IPv6 ULA), link-local (with the cloud metadata address
 * 169.254.169.254), the unspecified address, multicast, and reserved or special-purpose ranges.
 */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link_local' | 'unspecified' | 'multicast' | 'reserved';

interface Range {
  base: bigint;
  bits: number;
  kind: Exclude<AddressClass, 'public'>;
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

/** The 128-bit value of an IPv6 address (an embedded dotted IPv4 tail included). */
function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function v4(cidr: string, kind: Range['kind']): Range {
  const [base, bits] = cidr.split('/');
  return { base: ipv4ToBigInt(base), bits: Number(bits), kind };
}

function v6(cidr: string, kind: Range['kind']): Range {
  const [base, bits] = cidr.split('/');
  return { base: ipv6ToBigInt(base), bits: Number(bits), kind };
}

const IPV4_RANGES: Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'private'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link_local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'reserved'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved'),
  v4('198.51.100.0/24', 'reserved'),
  v4('203.0.113.0/24', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const IPV6_RANGES: Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('100::/64', 'reserved'),
  v6('2001:db8::/32', 'reserved'),
  v6('fc00::/7', 'private'),
  v6('fe80::/10', 'link_local'),
  v6('fec0::/10', 'private'),
  v6('ff00::/8', 'multicast'),
];

function inRange(value: bigint, width: number, range: Range): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

function classifyIpv4Value(value: bigint): AddressClass {
  return IPV4_RANGES.find((range) => inRange(value, 32, range))?.kind ?? 'public';
}

/**
 * The class of an IPv4 or IPv6 address. An IPv6 address that carries an IPv4 one (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is
 * classed as the IPv4 address it reaches. Anything that is not an IP address is `reserved`.
 */
export function classifyAddress(address: string): AddressClass {
  if (isIPv4(address)) return classifyIpv4Value(ipv4ToBigInt(address));
  if (!isIPv6(address)) return 'reserved';
  const value = ipv6ToBigInt(address);
  const special = IPV6_RANGES.find((range) => inRange(value, 128, range));
  if (special) return special.kind;
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn || value >> 32n === 0n) return classifyIpv4Value(low32);
  if (value >> 32n === 0x64ff9b0000000000000000n) return classifyIpv4Value(low32);
  if (value >> 112n === 0x2002n) return classifyIpv4Value((value >> 80n) & 0xffffffffn);
  return 'public';
}
