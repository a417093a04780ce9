// Clients trust what a majority of servers says: each reply is signed, so asking every
// server and grouping the answers tells the truth as long as a majority is honest.

import type { Network } from '../network.ts';
import type { Reply } from './codec.ts';
import { type ClientTransport, ReplyTimeout, type RequestSpec } from './transport.ts';

export interface ServerAnswer {
  readonly server: number;
  readonly reply: Reply | null; // null: no valid reply in time
  readonly error?: string;
  /** Why the replies that came were refused (a gateway that changed or replayed one), when that is why there is none. */
  readonly why?: string;
}

function noAnswer(server: number, error: unknown): ServerAnswer {
  const why = error instanceof ReplyTimeout ? error.why : null;
  return { server, reply: null, error: (error as Error).message, ...(why === null ? {} : { why }) };
}

/**
 * Asks every server at once and settles as soon as a majority agrees on `keyOf` (a server
 * that is down does not hold the answer up), or when every server answered or gave up.
 */
export async function askMajority<T>(
  client: ClientTransport,
  network: Network,
  spec: RequestSpec,
  valueOf: (reply: Reply) => T,
  keyOf: (value: T) => string,
  options: { attempts?: number; timeoutMs?: number } = {},
): Promise<Agreement<T>> {
  const answers: ServerAnswer[] = [];
  const counts = new Map<string, number>();
  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve(majorityOf(network, answers, valueOf, keyOf));
    };
    network.servers.forEach((server, index) => {
      client
        .ask(server.address, spec, {
          networkId: network.id,
          serverKey: server.key,
          serverCount: network.servers.length,
          attempts: options.attempts ?? 4,
          timeoutMs: options.timeoutMs ?? 150,
        })
        .then(
          (reply) => {
            answers.push({ server: index, reply });
            const key = keyOf(valueOf(reply));
            const count = (counts.get(key) ?? 0) + 1;
            counts.set(key, count);
            if (count >= network.majority) settle();
          },
          (error: unknown) => answers.push(noAnswer(index, error)),
        )
        .finally(() => {
          if (answers.length === network.servers.length) settle();
        });
    });
  });
}

/** Asks every server of the network at once. */
export async function askAll(client: ClientTransport, network: Network, spec: RequestSpec, options: { attempts?: number; timeoutMs?: number } = {}): Promise<ServerAnswer[]> {
  return Promise.all(
    network.servers.map(async (server, index): Promise<ServerAnswer> => {
      try {
        const reply = await client.ask(server.address, spec, {
          networkId: network.id,
          serverKey: server.key,
          serverCount: network.servers.length,
          attempts: options.attempts ?? 4,
          timeoutMs: options.timeoutMs ?? 200,
        });
        return { server: index, reply };
      } catch (error) {
        return noAnswer(index, error);
      }
    }),
  );
}

export interface Agreement<T> {
  readonly value: T | null; // what a majority said, or null
  readonly agreeing: number[];
  readonly others: { server: number; value: T | null; error?: string; why?: string }[];
}

/** Groups answers by `keyOf`; the group holding a majority of all servers wins. */
export function majorityOf<T>(network: Network, answers: readonly ServerAnswer[], valueOf: (reply: Reply) => T, keyOf: (value: T) => string): Agreement<T> {
  const groups = new Map<string, { value: T; servers: number[] }>();
  for (const answer of answers) {
    if (answer.reply === null) continue;
    const value = valueOf(answer.reply);
    const key = keyOf(value);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { value, servers: [] }));
    group.servers.push(answer.server);
  }
  let winner: { value: T; servers: number[] } | null = null;
  for (const group of groups.values()) if (group.servers.length >= network.majority) winner = group;
  const others: Agreement<T>['others'] = [];
  for (const answer of answers) {
    if (winner?.servers.includes(answer.server)) continue;
    others.push({
      server: answer.server,
      value: answer.reply === null ? null : valueOf(answer.reply),
      ...(answer.error === undefined ? {} : { error: answer.error }),
      ...(answer.why === undefined ? {} : { why: answer.why }),
    });
  }
  return { value: winner?.value ?? null, agreeing: winner?.servers ?? [], others };
}
