/** Catalog fields the pipeline itself adds to every frame (beside each layer's own fields). */
import { defineFields } from '../../dissectors/catalog.ts';

export const PIPELINE_FIELDS = defineFields('totem', {
  transport: {
    type: 'string',
    label: 'Transport',
    description: 'Corosync transport the frame belongs to: udp (multicast, 5404→5405), udpu (tokens 5405→5405, multicasts from an ephemeral port), knet (link port 5405+N on both sides), or unknown.',
  },
  status: {
    type: 'string',
    label: 'Decode status',
    description: 'What totemscope did with the frame: totem (decoded), knet-control, fragment (held for reassembly), duplicate, ignored (not corosync traffic) or error.',
  },
  ignored_reason: {
    type: 'string',
    label: 'Ignored because',
    description: 'Why the frame is not corosync traffic (not IP, not UDP, not a corosync port).',
  },
});

export const ERROR_FIELDS = defineFields('error', {
  code: {
    type: 'string',
    label: 'Error code',
    description: 'Stable code of the decode failure, `<layer>.<reason>` (e.g. totemsrp.bad_magic).',
  },
  offset: {
    type: 'u32',
    label: 'Error offset',
    description: 'Byte offset of the offending field from the start of the captured frame (of the reassembled payload when the frame completed an IP or knet reassembly).',
  },
  message: {
    type: 'string',
    label: 'Error',
    description: 'Human-readable description of the decode failure.',
  },
});
