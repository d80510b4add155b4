import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address stands for in per-address counters and limits. An IPv6 client
 * is usually given a whole /64 and may send from any address in it, so it counts as its /64
 * prefix (the first four groups, lower-case hex without leading zeros, then `::/64`). An
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as dual-stack sockets report IPv4 peers) counts
 * as the IPv4 address, and an IPv4 address as itself. A zone (`%eth0`) is ignored; anything that
 * is not an address is returned unchanged.
 */
export function clientNetworkKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  const address = ip.split('%')[0];
  if (!isIPv6(address)) return ip;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/**
 * The network of a given prefix length an address lies in, as `<first address>/<bits>`: IPv4
 * with `ipv4Bits` (`192.0.2.0/24`), IPv6 with `ipv6Bits` (all eight groups, lower-case hex
 * without leading zeros: `2001:db8:1:0:0:0:0:0/48`). Mapped IPv4 and zones are treated as by
 * `clientNetworkKey`; anything that is not an address is returned unchanged.
 */
export function networkPrefix(ip: string, bits: { ipv4Bits: number; ipv6Bits: number }): string {
  const address = ip.split('%')[0];
  let ipv4: number[];
  if (isIPv4(address)) {
    ipv4 = address.split('.').map(Number);
  } else if (isIPv6(address)) {
    const groups = ipv6Groups(address);
    if (!(groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff)) {
      const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
      const masked = masked8(bytes, bits.ipv6Bits);
      const out: string[] = [];
      for (let i = 0; i < 16; i += 2) out.push(((masked[i] << 8) | masked[i + 1]).toString(16));
      return `${out.join(':')}/${bits.ipv6Bits}`;
    }
    ipv4 = [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff];
  } else {
    return ip;
  }
  return `${masked8(ipv4, bits.ipv4Bits).join('.')}/${bits.ipv4Bits}`;
}

/** The bytes of an address with every bit after the first `bits` cleared. */
function masked8(bytes: number[], bits: number): number[] {
  return bytes.map((byte, i) => {
    const kept = Math.min(8, Math.max(0, bits - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
}

/** The eight 16-bit groups of a valid IPv6 address (without zone). */
function ipv6Groups(address: string): number[] {
  let hex = address.toLowerCase();
  // A dotted IPv4 tail stands for the last two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(hex);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    hex = `${hex.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [head, tail] = hex.split('::');
  if (tail === undefined) return parse(head);
  const before = parse(head);
  const after = parse(tail);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}
