// Where the core's messages go. The core writes each message to one server (by directory
// id) or to 'others': every server of its directory but itself, removed ones too (they
// learn that they were), joining ones as soon as a change names them. This is the one
// routing of an outbox, used by the node (node/server.ts), the simulator (src/sim), its
// liars (src/sim/byzantine.ts) and the tests' in-process network (test/helpers/core-net.ts):
// each then carries a server's messages as one batch, in the order the core wrote them.

import { assert } from '../errors.ts';
import type { PeerMessage } from '../peer/messages.ts';

export interface Outgoing {
  /** A server's directory id, or 'others' for every other server of the directory. */
  readonly to: number | 'others';
  readonly message: PeerMessage;
}

/** Who the core knows: its directory's size (ids 0 .. size − 1) and its own id (−1 while it joins). */
export interface Addressees {
  readonly size: number;
  readonly self: number;
}

/** The directory ids a message addressed `to` goes to, in id order. */
export function recipientsOf(to: number | 'others', addressees: Addressees): number[] {
  if (to !== 'others') {
    assert(to !== addressees.self, 'a server never sends to itself');
    return [to];
  }
  const out: number[] = [];
  for (let id = 0; id < addressees.size; id++) if (id !== addressees.self) out.push(id);
  return out;
}

/**
 * An outbox as batches: per recipient, its messages in the order the core wrote them, each
 * prepared once (`prepare`: the node and the simulator encode it) however many receive it.
 * Recipients come in the order they are first written to.
 */
export function routeOutbox<T>(outbox: readonly Outgoing[], addressees: Addressees, prepare: (message: PeerMessage) => T): Map<number, T[]> {
  const batches = new Map<number, T[]>();
  const prepared = new Map<PeerMessage, T>();
  for (const { to, message } of outbox) {
    let item = prepared.get(message);
    if (item === undefined) prepared.set(message, (item = prepare(message)));
    for (const recipient of recipientsOf(to, addressees)) {
      let batch = batches.get(recipient);
      if (batch === undefined) batches.set(recipient, (batch = []));
      batch.push(item);
    }
  }
  return batches;
}
