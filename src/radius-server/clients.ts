/**
 * The NAS client table: which source addresses may talk to us, and with which shared secret.
 * Exact addresses are a map lookup; CIDR blocks are checked longest prefix first, so a specific
 * entry wins over the block that contains it.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface NasClient {
  name: string;
  address: string;
  secret: Buffer;
  vendor: string;
  coaPort: number;
  requireMessageAuthenticator: boolean;
  deviceGroups: string[];
}

interface Block {
  bits: number;
  network: bigint;
  mask: bigint;
  v6: boolean;
  client: NasClient;
}

export class NasClientTable {
  #exact = new Map<string, NasClient>();
  #blocks: Block[] = [];

  constructor(clients: readonly NasClient[]) {
    this.replace(clients);
  }

  /**
   * Puts a new list in place at once (a configuration reload): the next datagram is looked up in
   * the new table, and a packet already being handled keeps the client it was found with.
   */
  replace(clients: readonly NasClient[]): void {
    const exact = new Map<string, NasClient>();
    const blocks: Block[] = [];
    for (const client of clients) {
      const [ip, bitsText] = client.address.split('/') as [string, string | undefined];
      const v6 = isIPv6(ip);
      const width = v6 ? 128 : 32;
      const bits = bitsText === undefined ? width : Number(bitsText);
      if (bits === width) {
        exact.set(canonical(ip), client);
        continue;
      }
      const mask = bits === 0 ? 0n : ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
      blocks.push({ bits, network: toBigInt(ip) & mask, mask, v6, client });
    }
    blocks.sort((a, b) => b.bits - a.bits);
    this.#exact = exact;
    this.#blocks = blocks;
  }

  get size(): number {
    return this.#exact.size + this.#blocks.length;
  }

  /** The client for a datagram's source address, or undefined when the source is unknown. */
  find(address: string): NasClient | undefined {
    const ip = canonical(address);
    const exact = this.#exact.get(ip);
    if (exact !== undefined || this.#blocks.length === 0) return exact;
    const v6 = isIPv6(ip);
    const value = toBigInt(ip);
    for (const block of this.#blocks) {
      if (block.v6 === v6 && (value & block.mask) === block.network) return block.client;
    }
    return undefined;
  }

  all(): NasClient[] {
    return [...this.#exact.values(), ...this.#blocks.map((b) => b.client)];
  }
}

/** IPv4-mapped IPv6 source addresses (`::ffff:10.0.0.1`, from a dual-stack socket) compare as IPv4. */
function canonical(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIPv4(lower.slice(7))) return lower.slice(7);
  return lower;
}

function toBigInt(ip: string): bigint {
  if (isIPv4(ip)) {
    return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
  }
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailParts];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group || '0', 16)), 0n);
}
