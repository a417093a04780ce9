// The network of a fault scenario: one Linux network namespace per server, each joined to
// bridges in the root namespace by veth pairs. Two networks, so that cutting the servers
// apart never cuts the test off from them:
//
//                 root namespace (the test: wallets, INFO, STATUS)
//     scrf<id>c  bridge 10.214.X.1/24 ──── ctl0  10.214.X.(10+i)   client traffic only
//     scrf<id>d  bridge (no address)  ──── data0 10.213.X.(10+i)   the servers' network file
//     scrf<id>s  bridge (no address)       an island: the data ends of a minority are moved
//                                          here, so a minority of two still hear each other
//
//   namespace scrf-<id>-<i>:  lo, data0, ctl0; no default route, so nothing in it can reach
//   anything but the two /24s of this run.
//
// A server listens on 0.0.0.0 inside its namespace: its peers dial its data address (the
// one in the network file), the test asks it over ctl0. Faults:
//   isolate(i)  the root end of i's data veth goes down: i hears no server and no server hears i
//   split(g)    the data ends of the servers in g move to the island bridge
//   heal()      every data end up and back on the data bridge

import { link_prefix, netns_prefix, onCleanup, sh } from './run.ts';

export interface Topology {
  readonly servers: number;
  /** The address in the network file (peers dial it). */
  dataHost(index: number): string;
  /** The address the test uses for client requests. */
  clientHost(index: number): string;
  namespace(index: number): string;
  isolate(index: number): void;
  split(group: readonly number[]): void;
  heal(): void;
  destroy(): void;
}

/** A /24 third octet not routed anywhere on this machine for both 10.213 and 10.214. */
function freeOctet(runId: string): number {
  const routes = sh(['ip', '-4', 'route', 'show'], { allowFail: true }).stdout + sh(['ip', '-4', 'addr', 'show'], { allowFail: true }).stdout;
  let start = 0;
  for (const char of runId) start = (start * 31 + char.charCodeAt(0)) % 250;
  for (let k = 0; k < 250; k++) {
    const octet = (start + k) % 250;
    if (!routes.includes(`10.213.${octet}.`) && !routes.includes(`10.214.${octet}.`)) return octet;
  }
  throw new Error('no free 10.213.x.0/24 and 10.214.x.0/24');
}

export function createTopology(runId: string, servers: number): Topology {
  if (servers > 40) throw new Error('at most 40 servers in a topology');
  const octet = freeOctet(runId);
  const bridgeData = `${link_prefix}${runId}d`;
  const bridgeIsland = `${link_prefix}${runId}s`;
  const bridgeControl = `${link_prefix}${runId}c`;
  const namespace = (i: number) => `${netns_prefix}${runId}-${i}`;
  const dataEnd = (i: number) => `${link_prefix}${runId}d${i}`;
  const controlEnd = (i: number) => `${link_prefix}${runId}c${i}`;
  const dataHost = (i: number) => `10.213.${octet}.${10 + i}`;
  const clientHost = (i: number) => `10.214.${octet}.${10 + i}`;
  const made: string[] = [];
  const removeAll = () => {
    // Namespaces first: deleting one deletes the veth ends inside it, and with them their root ends.
    for (let i = 0; i < servers; i++) sh(['ip', 'netns', 'del', namespace(i)], { allowFail: true });
    for (const link of [bridgeData, bridgeIsland, bridgeControl]) sh(['ip', 'link', 'del', link], { allowFail: true });
    for (let i = 0; i < servers; i++) for (const end of [dataEnd(i), controlEnd(i)]) sh(['ip', 'link', 'del', end], { allowFail: true });
    made.length = 0;
  };
  const undo = onCleanup(`topology ${runId}`, removeAll);
  try {
    for (const bridge of [bridgeData, bridgeIsland, bridgeControl]) {
      sh(['ip', 'link', 'add', bridge, 'type', 'bridge']);
      made.push(bridge);
      sh(['ip', 'link', 'set', bridge, 'up']);
    }
    sh(['ip', 'addr', 'add', `10.214.${octet}.1/24`, 'dev', bridgeControl]);
    for (let i = 0; i < servers; i++) {
      const ns = namespace(i);
      sh(['ip', 'netns', 'add', ns]);
      made.push(ns);
      sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      for (const [end, inside, host, bridge] of [
        [dataEnd(i), 'data0', dataHost(i), bridgeData],
        [controlEnd(i), 'ctl0', clientHost(i), bridgeControl],
      ] as const) {
        sh(['ip', 'link', 'add', end, 'type', 'veth', 'peer', 'name', `${end}p`]);
        sh(['ip', 'link', 'set', `${end}p`, 'netns', ns]);
        sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', `${end}p`, 'name', inside]);
        sh(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${host}/24`, 'dev', inside]);
        sh(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up']);
        sh(['ip', 'link', 'set', end, 'master', bridge]);
        sh(['ip', 'link', 'set', end, 'up']);
      }
    }
  } catch (error) {
    undo.undo();
    throw error;
  }
  return {
    servers,
    dataHost,
    clientHost,
    namespace,
    isolate(index) {
      sh(['ip', 'link', 'set', dataEnd(index), 'down']);
    },
    split(group) {
      for (const i of group) sh(['ip', 'link', 'set', dataEnd(i), 'master', bridgeIsland]);
    },
    heal() {
      for (let i = 0; i < servers; i++) {
        sh(['ip', 'link', 'set', dataEnd(i), 'master', bridgeData]);
        sh(['ip', 'link', 'set', dataEnd(i), 'up']);
      }
    },
    destroy: () => undo.undo(),
  };
}
