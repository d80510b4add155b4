import { clientNetworkKey } from './client-network-key';

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
