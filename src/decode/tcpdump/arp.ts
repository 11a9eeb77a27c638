// ARP as tcpdump 4.99's print-arp.c prints it without -v.
import type { ArpPacket } from '../arp.js';
import { ethertypeName } from './names.js';
import { hexAndAscii } from './hex.js';
import { ARPHRD_ETHER, ARPHRD_FRELAY, ETHERTYPE_IPV4, ETHERTYPE_TRAIL } from '../enums.js';

// print-arp.c's arpop_values.
const ARP_OPERATIONS: ReadonlyMap<number, string> = new Map([
  [1, 'Request'],
  [2, 'Reply'],
  [3, 'Reverse Request'],
  [4, 'Reverse Reply'],
  [8, 'Inverse Request'],
  [9, 'Inverse Reply'],
  [10, 'NACK Reply'],
]);

// print-arp.c's arphrd_values.
const ARP_HARDWARE: ReadonlyMap<number, string> = new Map([
  [ARPHRD_ETHER, 'Ethernet'],
  [6, 'TokenRing'],
  [7, 'ArcNet'],
  [ARPHRD_FRELAY, 'FrameRelay'],
  [19, 'ATM'],
  [23, 'Strip'],
  [24, 'IEEE 1394'],
  [32, 'InfiniBand'],
]);

function isNonZero(b: Uint8Array, o: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[o + i] !== 0) return true;
  return false;
}

/**
 * The ARP text after `ARP, ` (which the caller prints unless -e). `length` is what tcpdump passes:
 * the frame's length after the link header, Ethernet padding included.
 */
export function formatArp(arp: ArpPacket, length: number): string {
  const pro = arp.protocolType;
  const ipOk = (pro === ETHERTYPE_IPV4 || pro === ETHERTYPE_TRAIL) && arp.protocolLength === 4;
  if (!ipOk || arp.hardwareLength === 0) {
    const hw = ARP_HARDWARE.get(arp.hardwareType) ?? `Unknown Hardware (${arp.hardwareType})`;
    const proName = ethertypeName(pro);
    const p = proName === 'Unknown' ? `Unknown Protocol (0x${pro.toString(16).padStart(4, '0')})` : proName;
    return `${hw} (len ${arp.hardwareLength}), ${p} (len ${arp.protocolLength}), length ${length}`;
  }
  const op = arp.operation;
  const opName = ARP_OPERATIONS.get(op) ?? `Unknown (${op})`;
  let s = `${opName} `;
  switch (op) {
    case 1:
      s += `who-has ${arp.targetProtocolAddress}`;
      if (isNonZero(arp.b, arp.targetHardwareOffset, arp.hardwareLength)) s += ` (${arp.targetHardwareAddress})`;
      s += ` tell ${arp.senderProtocolAddress}`;
      break;
    case 2:
      s += `${arp.senderProtocolAddress} is-at ${arp.senderHardwareAddress}`;
      break;
    case 3:
    case 8:
      s += `who-is ${arp.targetHardwareAddress} tell ${arp.senderHardwareAddress}`;
      break;
    case 4:
      s += `${arp.targetHardwareAddress} at ${arp.targetProtocolAddress}`;
      break;
    case 9:
      s += `${arp.senderHardwareAddress} at ${arp.senderProtocolAddress}`;
      break;
    default:
      // ND_DEFAULTPRINT: the ARP packet as captured, after the operation.
      return s + hexAndAscii(arp.b, arp.offset, arp.end - arp.offset);
  }
  return `${s}, length ${length}`;
}
