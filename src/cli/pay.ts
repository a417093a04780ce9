import { defineCommand } from 'citty';
import { encodeAddress } from '../address.ts';
import { toHex } from '../bytes.ts';
import { assertPayable, pay } from '../client/wallet.ts';
import { isScrypError } from '../errors.ts';
import { logger } from '../log.ts';
import { formatAddress } from '../ip.ts';
import { isPaymentRequest, parsePaymentRequest } from '../payment-request.ts';
import { seedFileAccount, seedFileState } from '../seed.ts';
import { signerFromSeed } from '../signature.ts';
import { accountArg, addressArg, dirArg, exit_code, hexArg, integerArg, logArgs, networkAction, networkArg, print, printable, referenceArg, UsageError } from './common.ts';
import { askingKnownServers } from './servers.ts';
import { hasTerminal, openSeed, passphraseArg, promptYes } from './passphrase.ts';
import { refundOf } from '../client/refund.ts';
import { hash_bytes } from '../constants.ts';

/**
 * The payee, amount and reference of a payment: --to as an address, hex or a scryp: payment
 * request, --amount, and --ref (a request's ref= is honoured; a --ref that differs from it
 * is a usage error, as for the amount).
 */
export function payeeArgs(
  to: string | undefined,
  amountText: string | undefined,
  referenceText?: string,
): { to: Uint8Array; amount: number; reference?: bigint; label?: string; message?: string } {
  if (to === undefined) throw new UsageError('--to is required (an address scryp1…, 64 hex characters, or a scryp: payment request)');
  const amountArg = amountText === undefined ? undefined : integerArg(amountText, '--amount', 1, 0xffff_ffff);
  const referenceArgument = referenceText === undefined ? undefined : referenceArg(referenceText, '--ref');
  if (!isPaymentRequest(to)) {
    if (amountArg === undefined) throw new UsageError('--amount is required (1..4294967295)');
    return { to: payable(accountArg(to, '--to')), amount: amountArg, ...(referenceArgument === undefined ? {} : { reference: referenceArgument }) };
  }
  let request;
  try {
    request = parsePaymentRequest(to);
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(`--to: ${error.message}`);
    throw error;
  }
  const amount = request.amount ?? amountArg;
  if (amount === undefined) throw new UsageError('--to: the payment request names no amount: give --amount');
  if (request.amount !== undefined && amountArg !== undefined && amountArg !== request.amount) {
    throw new UsageError(`--amount ${amountArg} conflicts with the payment request's amount ${request.amount}: leave --amount out, or ask for another request`);
  }
  if (request.reference !== undefined && referenceArgument !== undefined && referenceArgument !== request.reference) {
    throw new UsageError(`--ref ${referenceArgument} conflicts with the payment request's reference ${request.reference}: leave --ref out, or ask for another request`);
  }
  const reference = request.reference ?? referenceArgument;
  return { to: payable(request.account), amount, ...(reference === undefined ? {} : { reference }), ...(request.label === undefined ? {} : { label: request.label }), ...(request.message === undefined ? {} : { message: request.message }) };
}

/** A payee no one can sign for is refused before anything is signed (UNSPENDABLE_KEY), as a usage error. */
function payable(key: Uint8Array): Uint8Array {
  try {
    assertPayable(key, '--to');
  } catch (error) {
    if (isScrypError(error)) throw new UsageError(error.message);
    throw error;
  }
  return key;
}

export const payCommand = defineCommand({
  meta: {
    name: 'pay',
    description:
      'Sign a payment with DIR/.seed, send it (resending on loss), and wait until it is committed, void or refused. Exit code 0 only when committed. With --refund TXID, pay back a payment this wallet received: its payer, the same amount, the same reference (asked on a terminal; piped, --yes).',
  },
  args: {
    dir: { type: 'string', description: 'the paying wallet\'s directory (its .seed, plain or encrypted)', required: true, valueHint: 'DIR' },
    to: { type: 'string', description: 'the payee: an address (scryp1…), 64 hex characters, or a scryp: payment request', valueHint: 'ACCOUNT' },
    amount: { type: 'string', description: 'scryp to pay, 1..4294967295 (a payment request may give it)', valueHint: 'N' },
    ref: { type: 'string', description: 'the payee\'s reference (an invoice number), 1..18446744073709551615, signed into the payment (a payment request may give it)', valueHint: 'N' },
    server: { type: 'string', description: 'the server to send to (default: the first server of the network)', valueHint: 'HOST:PORT' },
    refund: { type: 'string', description: 'pay back the payment this wallet received with this txid: to its payer, the same amount and reference (instead of --to, --amount, --ref)', valueHint: 'TXID' },
    yes: { type: 'boolean', description: 'with --refund: pay it back without asking (needed when there is no terminal to ask on)', default: false },
    ...passphraseArg,
    ...networkArg,
    ...logArgs,
  },
  run: ({ args }) =>
    networkAction(args, async (fileNetwork) => {
      if (args.to === undefined && args.refund === undefined) throw new UsageError('Missing required argument: --to (an address, 64 hex characters or a scryp: payment request; or --refund TXID)');
      const dir = dirArg(args.dir);
      if (seedFileState(dir) === 'missing') throw new UsageError(`no wallet in ${dir}: create one with scryp keygen --dir ${dir}`);
      const refundTxid = args.refund === undefined ? null : hexArg(args.refund, hash_bytes, '--refund');
      if (refundTxid !== null && (args.to !== undefined || args.amount !== undefined || args.ref !== undefined)) {
        throw new UsageError('--refund pays back a payment received, to its payer, with its amount and reference: leave out --to, --amount and --ref');
      }
      if (refundTxid === null && args.yes) throw new UsageError('--yes goes with --refund only: a payment is confirmed by the command that names it');
      if (refundTxid !== null && !args.yes && !hasTerminal()) throw new UsageError('--refund asks before it pays anything back, and there is no terminal to ask on: give --yes');
      const given = refundTxid === null ? payeeArgs(args.to, args.amount, args.ref) : null;
      let { to, amount, reference } = given ?? { to: new Uint8Array(0), amount: 0, reference: undefined as bigint | undefined };
      const { label, message } = given ?? {};
      const serverAddress = args.server === undefined ? null : formatAddress(addressArg(args.server, '--server'));
      const log = logger('pay');
      if (label !== undefined || message !== undefined) {
        log.info(`payment request${label === undefined ? '' : ` from "${printable(label)}"`}${message === undefined ? '' : `: "${printable(message)}"`}`);
      }
      // Shown before anything is signed: the reference is part of what the payer signs.
      if (reference !== undefined) log.info(`paying ${amount} scryp to ${encodeAddress(to)} with reference ${reference}`);
      // Where servers that moved are now (PROTOCOL §3.10); --server may name either address.
      return askingKnownServers(dir, fileNetwork, async (client, network, servers) => {
        // By default straight to the alpha of the period the payment is stamped in (client/wallet.ts).
        let server: number | undefined;
        if (serverAddress !== null) {
          server = network.servers.findIndex((entry, i) => formatAddress(entry.address) === serverAddress || formatAddress(fileNetwork.servers[i]!.address) === serverAddress);
          if (server < 0) throw new UsageError(`--server ${serverAddress} is not a server of network ${network.name}`);
        }
        if (refundTxid !== null) {
          // What is paid back comes from the payment as a quorum of the servers list it; the person says yes to exactly that.
          let refund;
          try {
            refund = await refundOf(client, network, seedFileAccount(dir), refundTxid);
          } catch (error) {
            if (!isScrypError(error) || !error.code.startsWith('REFUND_')) throw error;
            process.stderr.write(`scryp: ${error.message}\n`);
            return exit_code.refused;
          }
          ({ to, amount, reference } = refund);
          const what = `refund ${amount} scryp to ${encodeAddress(to)}${reference === undefined ? '' : ` with reference ${reference}`}, paying back payment ${toHex(refundTxid)} (received in period ${refund.original.period})`;
          if (args.yes) log.info(what);
          else if (!(await promptYes(`${what}. Pay it? [y/N] `))) {
            print('not refunded: nothing was signed');
            return exit_code.error;
          }
        }
        // The seed last: a passphrase is asked only once everything else is known to be right.
        const signer = signerFromSeed(await openSeed(dir, args['passphrase-file']));
        const end = await pay(client, network, signer, {
          to,
          amount,
          ...(server === undefined ? {} : { server }),
          ...(reference === undefined ? {} : { reference }),
          onProgress: (message) => log.info(message),
          onSent: servers.refresh,
          networkNow: servers.current,
        });
        const txid = end.txid === null ? null : toHex(end.txid);
        if (args.json) {
          print(
            JSON.stringify({
              ...end,
              txid,
              from: toHex(signer.publicKey),
              fromAddress: encodeAddress(signer.publicKey),
              to: toHex(to),
              toAddress: encodeAddress(to),
              amount,
              reference: reference === undefined ? null : reference.toString(),
              ...(refundTxid === null ? {} : { refunds: toHex(refundTxid) }),
            }),
          );
        }
        switch (end.outcome) {
          case 'committed':
            if (!args.json) print(`committed: ${amount} scryp to ${encodeAddress(to)}${reference === undefined ? '' : ` with reference ${reference}`} in period ${end.period} (txid ${txid})${refundTxid === null ? '' : `, the refund of ${toHex(refundTxid)}`}`);
            return exit_code.ok;
          case 'void':
            if (!args.json) print(`void: period ${end.period} was decided without this payment; nothing was paid (txid ${txid}). Send it again.`);
            return exit_code.refused;
          case 'refused':
            if (!args.json) print(`refused: ${end.status}${txid === null ? '' : ` (txid ${txid})`}`);
            return exit_code.refused;
          case 'timeout':
            if (!args.json) print(`no outcome yet${txid === null ? '' : ` for txid ${txid}`}: ask later with scryp status ${txid ?? 'TXID'}`);
            return exit_code.timeout;
        }
      });
    }),
});
