import { isIPv6 } from 'node:net';

/**
 * The client an address-keyed limit counts against. An IPv6 address counts as its /64: one host (one customer
 * of an ISP) routinely controls a whole /64 and could otherwise take a fresh address for every attempt. An IPv4
 * address stays its own bucket, also when written IPv4-mapped (`::ffff:a.b.c.d`, as a dual-stack socket reports
 * it), so both spellings share one. Anything else (not an address) is its own bucket, unchanged.
 *
 * The /64 is written as its first four groups in lower-case hex without leading zeros, then `::/64`
 * (`2001:db8:0:1::/64`), whatever the spelling it came in.
 */
export function addressBucket(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an address `isIPv6` accepted (zone id, `::` and a dotted IPv4 tail allowed). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0];
  const dottedTail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dottedTail) {
    const [a, b, c, d] = dottedTail.slice(1).map(Number);
    text = `${text.slice(0, dottedTail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const compressed = text.indexOf('::');
  if (compressed === -1) return parse(text);
  const head = parse(text.slice(0, compressed));
  const tail = parse(text.slice(compressed + 2));
  return [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
