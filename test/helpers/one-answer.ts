// What a server answers to one request's bytes, through the very handler both of its edges
// use (src/node/client-requests.ts), without sockets: a fresh core of `network` on a memory
// store at genesis, the time `now`, the request from `source`. For golden vectors of the
// gateway (a request's bytes in, the reply's bytes out), which make-golden.ts writes and
// golden.test.ts checks.

import { LedgerState } from '../../src/ledger/state.ts';
import { MemoryStore } from '../../src/ledger/store.ts';
import { LogLimiter } from '../../src/log.ts';
import { type Network, serverIndexOf } from '../../src/network.ts';
import { type Answer, ClientRequests, type Source } from '../../src/node/client-requests.ts';
import { ServerCore } from '../../src/node/core.ts';
import { RateLimiter } from '../../src/node/rate-limit.ts';
import { Verifier } from '../../src/node/verifier.ts';
import { type Signer, verify } from '../../src/signature.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function oneAnswer(network: Network, signer: Signer, request: Uint8Array, source: Source, now: number): Answer {
  const store = new MemoryStore(ServerCore.genesisFor(network));
  store.seedGenesis(LedgerState.fromAccounts(network.genesis).entries());
  const core = new ServerCore({ network, selfIndex: serverIndexOf(network, signer.publicKey), signer, store, verify, log: silent, now });
  const requests = new ClientRequests({
    core,
    verifier: new Verifier(network.id, 0),
    signer,
    networkId: network.id,
    rateLimiter: new RateLimiter(1, 1, 1),
    rateNotices: new LogLimiter(1_000, 1),
    badInputLogs: new LogLimiter(60_000),
    log: silent,
    now: () => now,
    count() {},
    run: (work) => work(),
  });
  let answer: Answer | null = null;
  requests.handle('http', request, source, now, (delivered) => (answer = delivered));
  if (answer === null) throw new Error('oneAnswer: only PAY answers later, and golden vectors of the gateway hold none');
  return answer;
}
