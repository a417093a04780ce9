// Where pay() (src/client/wallet.ts) sends a payment first when no server is given, over the
// HTTP gateway as the pocket page does (GatewayClient: a server is found by its key): to the
// gateway of the alpha of the period the payment is stamped in (PROTOCOL §4: it takes such a
// payment until its period's end), and in a period's last wallet_next_period_margin_ms, with
// the next period's start as its stamp, to the next period's alpha. Each gateway here answers
// as its own server would, signed with that server's key; the wallet's clock is the real one
// moved by an offset, so that pay() starts at a chosen instant of a period.

import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { decodeRequest, encodeReply, Kind, PaymentState, Status } from '../src/client/codec.ts';
import { GatewayClient } from '../src/client/gateway-client.ts';
import { pay, stampFor } from '../src/client/wallet.ts';
import { wallet_next_period_margin_ms } from '../src/constants.ts';
import { alphaOf, endOf, periodOf, startOf, timingOf } from '../src/schedule.ts';
import { timestampOf, txidOf } from '../src/transaction.ts';
import { testNetwork, testSigner } from './helpers/keys.ts';

// Real timers (pay() waits for its period's end): a busy CI machine can take several times the
// 5-second default; a hang still fails, within this bound.
setDefaultTimeout(30_000);

const { network, servers, wallets } = testNetwork({ servers: 3, periodMs: 200 });
const timing = timingOf(network);
const gatewayOf = (index: number) => `http://gateway-${index}.test`;

/** A wallet whose clock reads `phase` ms into a period when pay() starts, and the gateways' log of PAY requests. */
function payAtPhase(phase: number) {
  const realNow = Date.now();
  const offset = startOf(timing, periodOf(timing, realNow) + 2) + phase - realNow;
  const now = () => Date.now() + offset;
  const pays: { server: number; timestamp: number }[] = [];
  const client = new GatewayClient({
    fetch: async (url, init) => {
      const server = servers.findIndex((_, index) => url.startsWith(gatewayOf(index)));
      const request = decodeRequest(new Uint8Array(init.body as Uint8Array));
      let bytes: Uint8Array;
      if (request.kind === Kind.PAY || request.kind === Kind.PAYREF) {
        const timestamp = timestampOf(request.transaction);
        pays.push({ server, timestamp });
        bytes = encodeReply(request.kind, request.requestId, Status.ACCEPTED, { period: periodOf(timing, timestamp), txid: txidOf(request.transaction) }, servers[server]!, network.id);
      } else if (request.kind === Kind.STATUS) {
        const period = periodOf(timing, pays[0]!.timestamp);
        bytes = encodeReply(Kind.STATUS, request.requestId, Status.OK, { txid: request.txid, state: PaymentState.COMMITTED, period }, servers[server]!, network.id);
      } else {
        return new Response('not asked in this test', { status: 404 });
      }
      return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200 });
    },
  });
  servers.forEach((signer, index) => client.useGateway(signer.publicKey, gatewayOf(index)));
  const started = now();
  const end = pay(client, network, wallets[0]!, { to: testSigner('route payee').publicKey, amount: 3, now });
  return { end, pays, started };
}

describe('pay() sends first to the alpha of the period it stamps, at its gateway', () => {
  test('mid-period: stamped now, sent to this period’s alpha, committed in this period', async () => {
    const { end, pays, started } = payAtPhase(100);
    const result = await end;
    expect(result.outcome).toBe('committed');
    expect(pays).toHaveLength(1);
    const period = periodOf(timing, started);
    expect(periodOf(timing, pays[0]!.timestamp)).toBe(period);
    expect(pays[0]!.server).toBe(alphaOf(servers.length, period));
  });

  test('in the period’s last few ms: stamped with the next period’s start, sent to the next alpha', async () => {
    const { end, pays, started } = payAtPhase(timing.periodMs - wallet_next_period_margin_ms + 1);
    const result = await end;
    expect(result.outcome).toBe('committed');
    expect(pays).toHaveLength(1);
    // pay() may read its clock a few ms later than asked (in the next period then): either
    // way the stamp lies in the next period, and the next period's alpha is asked.
    const next = periodOf(timing, started) + 1;
    expect(periodOf(timing, pays[0]!.timestamp)).toBe(next);
    expect(pays[0]!.server).toBe(alphaOf(servers.length, next));
    expect(alphaOf(servers.length, next)).not.toBe(alphaOf(servers.length, next - 1));
  });

  test('stampFor: the next period’s start in a period’s last wallet_next_period_margin_ms, the instant itself before', () => {
    const end = endOf(timing, 1_000_000);
    expect(stampFor(network, end - wallet_next_period_margin_ms)).toBe(end);
    expect(stampFor(network, end - 1)).toBe(end);
    expect(stampFor(network, end - wallet_next_period_margin_ms - 1)).toBe(end - wallet_next_period_margin_ms - 1);
    expect(stampFor(network, end)).toBe(end);
    expect(stampFor(network, end + 1)).toBe(end + 1);
  });
});
