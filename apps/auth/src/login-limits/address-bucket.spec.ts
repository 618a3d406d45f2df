import { addressBucket } from './address-bucket';

describe('addressBucket', () => {
  it.each([
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::/64'],
    ['2001:db8:0:1::1', '2001:db8:0:1::/64'],
    ['2001:DB8:0:1:ffff:ffff:ffff:ffff', '2001:db8:0:1::/64'],
    ['2001:db8:0:1:a:b:1.2.3.4', '2001:db8:0:1::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['2001:db8::1:0:0:1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3::', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
  ])('buckets the IPv6 address %s to its /64: %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  it('puts the addresses of one /64 in one bucket, and the neighbouring /64 in another', () => {
    const buckets = ['2001:db8:aa:bb::1', '2001:db8:aa:bb:1234:5678:9abc:def0', '2001:0DB8:00AA:00BB:0:0:0:2'].map(addressBucket);

    expect(new Set(buckets).size).toBe(1);
    expect(addressBucket('2001:db8:aa:bc::1')).not.toBe(buckets[0]);
    expect(addressBucket('2001:db8:aa::bb:0:0:1')).not.toBe(buckets[0]);
  });

  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
  ])('keeps IPv4 per address, IPv4-mapped IPv6 too: %s → %s', (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });

  it('keeps neighbouring IPv4 addresses apart', () => {
    expect(addressBucket('::ffff:203.0.113.7')).not.toBe(addressBucket('::ffff:203.0.113.8'));
  });

  it.each(['unknown', '', '2001:db8::1::2', '1.2.3', 'not:an:address'])('leaves a value that is not an address as it is: %j', (value) => {
    expect(addressBucket(value)).toBe(value);
  });
});
