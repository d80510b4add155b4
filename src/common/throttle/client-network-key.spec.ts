import { clientNetworkKey, networkPrefix } from './client-network-key';

describe('clientNetworkKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:1::', '2001:db8:0:0::/64'],
    ['2001:db8:a:b::192.0.2.1', '2001:db8:a:b::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('maps %s to %s', (ip, network) => {
    expect(clientNetworkKey(ip)).toBe(network);
  });

  it('tells apart addresses outside one /64', () => {
    expect(clientNetworkKey('2001:db8:0:1::1')).not.toBe(clientNetworkKey('2001:db8:0:2::1'));
    expect(clientNetworkKey('2001:db8:1::')).not.toBe(clientNetworkKey('2001:db8::1'));
    expect(clientNetworkKey('::ffff:192.0.2.1')).not.toBe(clientNetworkKey('::ffff:192.0.2.2'));
  });
});

describe('networkPrefix', () => {
  const signIn = { ipv4Bits: 24, ipv6Bits: 48 };

  it.each([
    ['192.0.2.77', '192.0.2.0/24'],
    ['::ffff:192.0.2.77', '192.0.2.0/24'],
    ['::ffff:c000:24d', '192.0.2.0/24'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:0:0:0:0:0/48'],
    ['2001:0DB8:0001:ffff::1', '2001:db8:1:0:0:0:0:0/48'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:0/48'],
    ['not an address', 'not an address'],
  ])('maps %s to %s', (ip, network) => {
    expect(networkPrefix(ip, signIn)).toBe(network);
  });

  it('masks prefixes that end inside a byte', () => {
    expect(networkPrefix('192.0.2.255', { ipv4Bits: 25, ipv6Bits: 48 })).toBe('192.0.2.128/25');
    expect(networkPrefix('2001:db8:ffff::', { ipv4Bits: 24, ipv6Bits: 36 })).toBe(
      '2001:db8:f000:0:0:0:0:0/36',
    );
  });

  it('tells apart addresses outside one network and not those inside', () => {
    expect(networkPrefix('192.0.2.1', signIn)).toBe(networkPrefix('192.0.2.254', signIn));
    expect(networkPrefix('192.0.2.1', signIn)).not.toBe(networkPrefix('192.0.3.1', signIn));
    expect(networkPrefix('2001:db8:1:aaaa::1', signIn)).toBe(
      networkPrefix('2001:db8:1:bbbb::2', signIn),
    );
    expect(networkPrefix('2001:db8:1::1', signIn)).not.toBe(networkPrefix('2001:db8:2::1', signIn));
  });
});
