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

// ---- Link faults with iptables, inside the test's own namespaces --------------------------
//
// Each rule lives in the filter table of one server's namespace (a namespace has its own
// tables: the host's are never touched), matches only the data interface (data0: the
// servers' network; ctl0, the test's client network, is left alone) and carries the
// comment below. Every rule is registered for cleanup the moment it is added and deleted
// by the exact spec it was added with; deleting the namespaces at the end of the scenario
// (Topology.destroy) would drop whatever is left anyway.
//
//   addLoss(t, i, p)        drop each packet arriving at i on data0 with probability p
//                           (-m statistic --mode random): every server-to-server packet
//                           crosses exactly one such rule when every server has one
//   cutOneWay(t, from, to)  drop what `from` sends to `to` (at `to`'s data0, matched on
//                           `from`'s data address): `to` hears nothing from `from` (TCP
//                           acknowledgements included), `from` still hears `to`

export const fault_rule_comment = 'scryp-fault';

export interface LinkRule {
  readonly what: string;
  readonly namespace: string;
  /** Packets and bytes the rule dropped so far (null once it is removed). */
  dropped(): { packets: number; bytes: number } | null;
  /** Deletes the rule now (once); later calls do nothing. */
  remove(): void;
}

/** Fails with a clear message when iptables is missing (Debian: apt-get install iptables). */
export function requireIptables(): void {
  const probe = sh(['iptables', '--version'], { allowFail: true });
  if (probe.code !== 0) throw new Error(`the link-fault scenarios need iptables (apt-get install iptables): ${probe.stderr.trim() || `exit ${probe.code}`}`);
}

let ruleCount = 0;

function addRule(namespace: string, chain: 'INPUT' | 'OUTPUT', match: readonly string[], what: string): LinkRule {
  // Each rule its own comment, so that its counters are found again in the listing.
  const comment = `${fault_rule_comment}-${++ruleCount}`;
  const spec = [chain, ...match, '-m', 'comment', '--comment', comment, '-j', 'DROP'];
  const inNamespace = (args: readonly string[]) => ['ip', 'netns', 'exec', namespace, 'iptables', '-w', ...args];
  sh(inNamespace(['-A', ...spec]));
  let removed = false;
  const cleanup = onCleanup(`iptables rule in ${namespace}: ${what}`, () => {
    removed = true;
    // The namespace may be gone already (and the rule with it): nothing left to delete then.
    sh(inNamespace(['-D', ...spec]), { allowFail: true });
  });
  const dropped = () => {
    if (removed) return null;
    // -S -v lists each rule with "-c PACKETS BYTES".
    const line = sh(inNamespace(['-S', chain, '-v']), { allowFail: true })
      .stdout.split('\n')
      .find((text) => text.includes(`--comment ${comment} `));
    const counters = line === undefined ? null : /-c (\d+) (\d+)/.exec(line);
    return counters === null ? { packets: 0, bytes: 0 } : { packets: Number(counters[1]), bytes: Number(counters[2]) };
  };
  return { what, namespace, dropped, remove: () => cleanup.undo() };
}

/** Random loss of packets arriving at server `index` over the servers' network. */
export function addLoss(topology: Topology, index: number, probability: number): LinkRule {
  if (!(probability > 0 && probability < 1)) throw new Error(`loss probability ${probability}: between 0 and 1`);
  return addRule(topology.namespace(index), 'INPUT', ['-i', 'data0', '-m', 'statistic', '--mode', 'random', '--probability', String(probability)], `loss ${probability} into server ${index}`);
}

/** Drops everything server `from` sends to server `to` over the servers' network; `to` → `from` still flows. */
export function cutOneWay(topology: Topology, from: number, to: number): LinkRule {
  if (from === to) throw new Error('a one-way cut needs two servers');
  return addRule(topology.namespace(to), 'INPUT', ['-i', 'data0', '-s', `${topology.dataHost(from)}/32`], `one-way cut ${from} → ${to}`);
}

/** The rules with our comment left in server `index`'s namespace (for a test to check that none stay). */
export function faultRulesIn(topology: Topology, index: number): string[] {
  const listing = sh(['ip', 'netns', 'exec', topology.namespace(index), 'iptables', '-w', '-S'], { allowFail: true }).stdout;
  return listing.split('\n').filter((line) => line.includes(fault_rule_comment));
}
