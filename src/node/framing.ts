/**
 * totempg framing for what this node sends (wire-format.md §4): each service message goes out as its
 * own totempg packet, split into fragments when it does not fit `net_mtu − 8` bytes. corosync packs
 * several small messages into one packet; one per packet is equally valid for receivers.
 */
import { emitTotempg, HEADER_LEN, MSG_LEN_SIZE } from '../../dissectors/totempg/packet.ts';

export class TotempgSender {
  private nextFragment = 1;

  constructor(
    /** totemsrp's payload limit: netmtu − 2·sizeof(struct mcast) (1410 for udpu's 1500). */
    private readonly maxPacket: number,
    private readonly littleEndian = true,
  ) {}

  /** Packets that carry `message`, in order. */
  packets(message: Uint8Array): Uint8Array[] {
    const room = this.maxPacket - HEADER_LEN - MSG_LEN_SIZE;
    if (message.length <= room) {
      this.nextFragment = 1;
      return [emitTotempg({ version: 0, type: 0, fragmented: 0, continuation: 0, messages: [message] }, this.littleEndian)];
    }
    const out: Uint8Array[] = [];
    let continuation = 0;
    for (let off = 0; off < message.length; off += room) {
      const piece = message.subarray(off, Math.min(message.length, off + room));
      const last = off + room >= message.length;
      let fragmented = 0;
      if (!last) {
        fragmented = this.nextFragment;
        this.nextFragment = this.nextFragment >= 255 ? 1 : this.nextFragment + 1;
      }
      out.push(emitTotempg({ version: 0, type: 0, fragmented, continuation, messages: [piece] }, this.littleEndian));
      continuation = fragmented;
    }
    return out;
  }
}
