import { isIPv4, isIPv6 } from 'node:net';

/** How much of an address the clear `ip_network` column keeps: IPv4 /24, IPv6 /48. */
export const NETWORK_PREFIX = { 4: 24, 6: 48 } as const;

export interface ParsedAddress {
  version: 4 | 6;
  bytes: Buffer;
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const bytes = Buffer.alloc(16);
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) becomes its two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1].split('.').map(Number);
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(8 - headGroups.length - restGroups.length).fill('0'),
          ...restGroups,
        ];
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** An IPv4 or IPv6 address; an IPv4-mapped IPv6 address is its IPv4 address. Null otherwise. */
export function parseAddress(text: string): ParsedAddress | null {
  if (isIPv4(text)) return { version: 4, bytes: Buffer.from(text.split('.').map(Number)) };
  if (!isIPv6(text) || text.includes('%')) return null;
  const bytes = ipv6Bytes(text);
  const mapped = bytes.subarray(0, 12).equals(Buffer.from('00000000000000000000ffff', 'hex'));
  return mapped ? { version: 4, bytes: Buffer.from(bytes.subarray(12)) } : { version: 6, bytes };
}

/** The one text form of an address (dotted IPv4, compressed lower-case IPv6). */
export function formatAddress({ version, bytes }: ParsedAddress): string {
  if (version === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The URL parser compresses an IPv6 address the way RFC 5952 says.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** The address with every bit past `prefix` cleared. */
export function maskAddress(address: ParsedAddress, prefix: number): ParsedAddress {
  const bytes = Buffer.from(address.bytes);
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return { version: address.version, bytes };
}

/** The network kept in clear for an address: `a.b.c.0/24` or its /48. */
export function networkOf(address: ParsedAddress): string {
  const prefix = NETWORK_PREFIX[address.version];
  return `${formatAddress(maskAddress(address, prefix))}/${prefix}`;
}
