import { formatAddress, networkOf, parseAddress } from './ip-address';

describe('addresses of the audit log', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7', '203.0.113.0/24'],
    ['::ffff:203.0.113.7', '203.0.113.7', '203.0.113.0/24'],
    ['2001:DB8:0:0:1::1', '2001:db8::1:0:0:1', '2001:db8::/48'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd:12::1', '2001:db8:abcd::/48'],
    ['::1', '::1', '::/48'],
  ])('%s is %s in network %s', (text, canonical, network) => {
    const address = parseAddress(text)!;
    expect(formatAddress(address)).toBe(canonical);
    expect(networkOf(address)).toBe(network);
  });

  it.each(['', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'fe80::1%eth0', 'example.com', '2001:db8::g'])(
    'refuses %j',
    (text) => {
      expect(parseAddress(text)).toBeNull();
    },
  );
});
