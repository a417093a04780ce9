// What the wallet page can ask of a wallet, one method per API call (api-routes.ts maps
// them). The same service runs in the `scryp wallet` process (over UDP, the key in DIR,
// contacts in DIR/contacts.json) and in the pocket wallet's page (over servers' HTTP
// gateways, the key and contacts in the browser): it talks to the servers only through a
// ClientTransport, keeps contacts in a ContactsStore, learns where the servers in force are
// through `locate`, and gets the signer only to sign. The page sees addresses, amounts and
// words, never the seed. Bad input is a ScrypError with a code; the HTTP edge (server.ts)
// turns it into a 4xx answer, the pocket page shows it as the same words.

import { base64 } from '@scure/base';
import { renderSVG } from 'uqr';
import { encodeAddress } from '../address.ts';
import { equal, toHex, utf8 } from '../bytes.ts';
import { collectReceipt } from '../client/receipt.ts';
import { refundOf } from '../client/refund.ts';
import { type BalanceBody, Kind, Status, statusName } from '../client/codec.ts';
import { accountHistory, type HistoryCursor, type HistoryEntry, historyCsv, history_limit_default, isoTime, outcomeOf } from '../client/history.ts';
import { askAll, majorityOf } from '../client/majority.ts';
import { learnChain, targetsOf, withConfiguration } from '../client/chain.ts';
import type { Configuration } from '../consensus/configuration.ts';
import type { ClientTransport } from '../client/transport.ts';
import { pay, type PaymentEnd } from '../client/wallet.ts';
import {
  addresses_refresh_ms,
  history_client_entries_max,
  history_entries_max,
  till_history_entries_max,
  till_sale_ms_default,
  wallet_balance_cache_ms,
  wallet_payments_remembered_max,
  wallet_progress_steps_max,
} from '../constants.ts';
import { fail } from '../errors.ts';
import { formatAddress } from '../ip.ts';
import type { Network, ServerEntry } from '../network.ts';
import { formatPaymentRequest, type PaymentRequest } from '../payment-request.ts';
import { formatReceipt } from '../receipt.ts';
import { type Timing, timingOf } from '../schedule.ts';
import type { Signer } from '../signature.ts';
import type {
  BalanceView,
  Confirmation,
  ContactsView,
  HistoryRow,
  HistoryView,
  Overview,
  PaymentView,
  ReceiptView,
  RecipientView,
  RequestView,
  ServerSaid,
  TillView,
} from './api-types.ts';
import { parseAmount, parseRecipient, parseRequestBuilder, parseSale, type JsonObject, textField, txidField } from './api-request.ts';
import { addContact, type Contact, type ContactsStore, removeContact } from './contacts.ts';
import { final_stages, progressOfEnd, type Progress, stageAfter, stageInWords } from './payment-life.ts';
import { freshReference } from './sale.ts';
import { Till, type TillRead } from './till.ts';
import { amountText } from '../amount-text.ts';

interface PaymentRecord {
  readonly id: string;
  readonly to: string;
  readonly amount: number;
  readonly reference: bigint | null;
  progress: Progress;
  refusal: string | null;
  readonly steps: string[];
}

interface Ticket {
  readonly to: Uint8Array;
  readonly amount: number;
  /** The payee's reference, signed into the payment (the 148-byte form). */
  readonly reference: bigint | null;
}

export interface WalletServiceOptions {
  readonly network: Network;
  /** The wallet's account (its public key): all but signing needs only this. */
  readonly account: Uint8Array;
  /**
   * The key, to sign a payment. `request` is the Sign and send call's body: the pocket
   * wallet opens its encrypted key with the passphrase typed there; `scryp wallet` has it open.
   */
  readonly signer: (request: JsonObject) => Signer | Promise<Signer>;
  readonly client: ClientTransport;
  readonly contacts: ContactsStore;
  /** Where the servers in force are now (their UDP addresses, or their gateways), given them. */
  readonly locate: (inForce: Network) => Promise<Network>;
  /** How a server is named where the page lists who disagrees: its UDP address unless said otherwise. */
  readonly describeServer?: (server: ServerEntry) => string;
  readonly log: { info(message: string): void; error(message: string): void };
  /** The time payments are stamped with: the network's (the pocket wallet's network-time.ts) or this machine's. */
  readonly now?: () => number;
  /** How long a till's request lives (default till_sale_ms_default). */
  readonly tillSaleMs?: number;
  /** Called whenever a payment of this session moves a step (the pocket page wakes its Send screen with it). */
  readonly onPaymentChange?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 128 random bits in hex, for tickets and payment ids. */
const randomId = () => toHex(crypto.getRandomValues(new Uint8Array(16)));

/** "server 0", "servers 0 and 2", "servers 0, 1 and 2". */
export function listOf(servers: readonly number[]): string {
  if (servers.length === 1) return `server ${servers[0]}`;
  return `servers ${servers.slice(0, -1).join(', ')} and ${servers[servers.length - 1]}`;
}

/** Whether two views of the network have the same servers in force, in the same order, at the same addresses, with the same quorum. */
function sameServers(a: Network, b: Network): boolean {
  if (a === b) return true;
  if (a.servers.length !== b.servers.length || a.majority !== b.majority || a.quorum !== b.quorum) return false;
  return a.servers.every((server, index) => {
    const other = b.servers[index]!;
    return equal(server.key, other.key) && formatAddress(server.address) === formatAddress(other.address);
  });
}

export class WalletService {
  /** The network with every server where its newest address record puts it (PROTOCOL §3.10). */
  private network: Network;
  private readonly fileNetwork: Network;
  private addressesAskedAt = Number.NEGATIVE_INFINITY;
  /** The configuration in force, as last learnt from the servers and checked from the network file (null: the file's servers). */
  private configuration: Configuration | null = null;
  private addressesAsking: Promise<void> | null = null;
  private readonly account: Uint8Array;
  private readonly signerFor: WalletServiceOptions['signer'];
  private readonly client: ClientTransport;
  private readonly contactsStore: ContactsStore;
  private readonly locate: WalletServiceOptions['locate'];
  private readonly describeServer: (server: ServerEntry) => string;
  private readonly log: WalletServiceOptions['log'];
  private readonly now: () => number;
  private readonly onPaymentChange: () => void;
  readonly address: string;
  private readonly payments = new Map<string, PaymentRecord>();
  private readonly tickets = new Map<string, Ticket>();
  private balanceAsked: { at: number; view: Promise<BalanceView> } | null = null;
  private readonly till: Till;

  constructor(options: WalletServiceOptions) {
    this.network = options.network;
    this.fileNetwork = options.network;
    this.account = options.account;
    this.signerFor = options.signer;
    this.client = options.client;
    this.contactsStore = options.contacts;
    this.locate = options.locate;
    this.describeServer = options.describeServer ?? ((server) => formatAddress(server.address));
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.onPaymentChange = options.onPaymentChange ?? (() => {});
    this.address = encodeAddress(this.account);
    this.till = new Till({
      account: this.account,
      timing: () => this.timing,
      quorum: () => this.network.quorum,
      now: this.now,
      lifetimeMs: options.tillSaleMs ?? till_sale_ms_default,
      read: (since) => this.tillRead(since),
      request: (amount, reference, note) => this.requestOf({ account: this.account, amount, reference, message: note }),
      newId: randomId,
      newReference: () => freshReference(),
      log: this.log,
    });
  }

  private get timing(): Timing {
    return timingOf(this.network);
  }

  private serverAddress(index: number): string {
    return this.describeServer(this.network.servers[index]!);
  }

  // ---- overview ---------------------------------------------------------------------------

  async overview(): Promise<Overview> {
    return {
      network: {
        name: this.network.name,
        id: toHex(this.network.id),
        periodMs: this.network.periodMs,
        servers: this.network.servers.map((server) => formatAddress(server.address)),
      },
      account: { address: this.address, key: toHex(this.account) },
      balance: await this.balance(),
    };
  }

  /** The balance a majority of servers agrees on; asked at most once per `wallet_balance_cache_ms`. */
  balance(): Promise<BalanceView> {
    const now = this.now();
    if (this.balanceAsked !== null && now - this.balanceAsked.at < wallet_balance_cache_ms) return this.balanceAsked.view;
    const view = this.askBalance();
    this.balanceAsked = { at: now, view };
    return view;
  }

  /**
   * Learns where servers that moved are now (ADDRESSES, PROTOCOL §6.10): at the first call,
   * then at most once per addresses_refresh_ms. Bounded: a few datagrams, under a second.
   */
  private refreshAddresses(): Promise<void> {
    if (this.addressesAsking !== null) return this.addressesAsking;
    if (this.now() - this.addressesAskedAt < addresses_refresh_ms) return Promise.resolve();
    this.addressesAskedAt = this.now();
    this.addressesAsking = learnChain(this.client, this.fileNetwork, targetsOf(this.fileNetwork, this.configuration ?? undefined))
      .then(async (chain) => {
        // The servers in force (a committed change may have replaced the file's, PROTOCOL §6.11), then where each is now.
        if (chain !== null) this.configuration = chain.configurations[chain.configurations.length - 1]!;
        this.network = await this.locate(this.configuration === null ? this.fileNetwork : withConfiguration(this.fileNetwork, this.configuration));
      })
      .finally(() => {
        this.addressesAsking = null;
      });
    return this.addressesAsking;
  }

  private async askBalance(): Promise<BalanceView> {
    type Said = { status: string; balance: number; period: number | null };
    const account = this.account;
    // Short waits: a silent server must not hold the page up (2 tries: 450 ms at most).
    const ask = () => askAll(this.client, this.network, { kind: Kind.BALANCE, account }, { attempts: 2, timeoutMs: 150 });
    // The servers last known are asked while refreshAddresses learns which are in force and
    // where (a round of CONFIG, and ADDRESSES or gateway records, each reply checked): their
    // answers count only if the same servers turn out to be in force; else they are asked again.
    const asked = this.network;
    const early = ask();
    await this.refreshAddresses();
    let agreement = null;
    // Servers commit a few milliseconds apart: ask once more when no majority agrees yet.
    for (let round = 0; round < 2; round++) {
      const answers = round === 0 && sameServers(asked, this.network) ? await early : await ask();
      agreement = majorityOf(
        this.network,
        answers,
        (reply): Said => {
          if (reply.status === Status.OK && reply.body !== null && 'balance' in reply.body) {
            const body = reply.body as BalanceBody;
            return { status: 'OK', balance: body.balance, period: body.committedPeriod };
          }
          return { status: statusName[reply.status] ?? String(reply.status), balance: 0, period: null };
        },
        (said) => `${said.status === 'NOT_FOUND' ? 'OK' : said.status}:${said.balance}:${said.period}`,
      );
      if (agreement.value !== null) break;
      await sleep(100);
    }
    const value = agreement!.value;
    const known = value !== null && (value.status === 'OK' || value.status === 'NOT_FOUND');
    const others: ServerSaid[] = agreement!.others.map((other) => ({
      server: other.server,
      address: this.serverAddress(other.server),
      said:
        other.value === null
          ? other.why === undefined
            ? 'no answer'
            : `its answer was refused: ${other.why}`
          : other.value.status === 'OK'
            ? `${other.value.balance} scryp at committed period ${other.value.period}`
            : other.value.status === 'NOT_FOUND'
              ? 'no such account (0 scryp)'
              : `answers ${other.value.status}`,
    }));
    const agreeing = agreement!.agreeing;
    const total = this.network.servers.length;
    const summary = !known
      ? value === null
        ? `No majority of the ${total} servers agrees yet: the balance is unknown.`
        : `A majority of the servers answers ${value.status}.`
      : value.status === 'NOT_FOUND'
        ? `${agreeing.length} of ${total} servers agree (${listOf(agreeing)}): nothing has been paid to this address yet.`
        : `${agreeing.length} of ${total} servers agree (${listOf(agreeing)}) at committed period ${value.period}.`;
    return {
      balance: known ? value.balance : null,
      committedPeriod: known ? value.period : null,
      agreeing,
      others,
      answered: agreement!.agreeing.length + agreement!.others.filter((other) => other.value !== null).length,
      summary,
    };
  }

  // ---- send -------------------------------------------------------------------------------

  recipient(body: JsonObject): RecipientView {
    const recipient = parseRecipient(textField(body, 'recipient'), this.account, this.contacts().contacts);
    const request = recipient.request;
    return { address: recipient.address, contact: recipient.contact, request: request === null ? null : { ...request, reference: request.reference?.toString() ?? null } };
  }

  /** Checks a payment and returns exactly what will be signed, with a single-use ticket. */
  async check(body: JsonObject): Promise<Confirmation> {
    const recipient = parseRecipient(textField(body, 'recipient'), this.account, this.contacts().contacts);
    const amount = parseAmount(textField(body, 'amount', { maxChars: 40 }));
    const request = recipient.request;
    return this.confirmation({ to: recipient.key, amount, reference: request?.reference ?? null }, { contact: recipient.contact, label: request?.label ?? '', message: request?.message ?? '', refunds: null });
  }

  /** Checks the balance covers a payment, and returns what will be signed with its single-use ticket. */
  private async confirmation(ticket: Ticket, shown: Pick<Confirmation, 'contact' | 'label' | 'message' | 'refunds'>): Promise<Confirmation> {
    const balance = await this.balance();
    if (balance.balance !== null && ticket.amount > balance.balance) {
      fail('WALLET_OVERDRAFT', `Amount: ${ticket.amount} scryp is more than this wallet’s balance, ${balance.balance} scryp; nothing was signed`);
    }
    const id = randomId();
    if (this.tickets.size >= wallet_payments_remembered_max) this.tickets.delete(this.tickets.keys().next().value!);
    this.tickets.set(id, ticket);
    return {
      ticket: id,
      from: this.address,
      to: encodeAddress(ticket.to),
      amount: ticket.amount,
      network: this.network.name,
      networkId: toHex(this.network.id),
      reference: ticket.reference?.toString() ?? null,
      ...shown,
    };
  }

  /**
   * A refund of payment `txid` (client/refund.ts decides what may be refunded: a payment a
   * quorum lists committed to this wallet): what will be signed, to its payer, the same
   * amount and reference. REFUND_* codes say why not.
   */
  async refund(body: JsonObject): Promise<Confirmation> {
    const txid = txidField(body);
    await this.refreshAddresses();
    const refund = await refundOf(this.client, this.network, this.account, txid);
    const payer = encodeAddress(refund.to);
    return this.confirmation(
      { to: refund.to, amount: refund.amount, reference: refund.reference ?? null },
      { contact: this.contacts().contacts.find((contact) => contact.address === payer)?.name ?? null, label: '', message: '', refunds: { txid: toHex(txid), period: refund.original.period } },
    );
  }

  /** Signs and sends the payment a ticket stands for (once), and follows it in the background. */
  async send(body: JsonObject): Promise<PaymentView> {
    const ticketId = textField(body, 'ticket', { maxChars: 64 });
    const used = () => fail('WALLET_REQUEST', 'ticket: unknown or already used; check the payment again');
    const ticket = this.tickets.get(ticketId) ?? used();
    const signer = await this.signerFor(body); // BAD_PASSPHRASE: the ticket stays, for another try
    if (!this.tickets.delete(ticketId)) used(); // two clicks while the key was opening: one payment
    const id = randomId();
    const record: PaymentRecord = {
      id,
      to: encodeAddress(ticket.to),
      amount: ticket.amount,
      reference: ticket.reference,
      progress: { stage: 'signing', txid: null, period: null },
      refusal: null,
      steps: [],
    };
    this.remember(record);
    const step = (line: string) => {
      if (record.steps.length < wallet_progress_steps_max) record.steps.push(line);
      record.progress = stageAfter(record.progress, line);
      this.onPaymentChange();
    };
    // pay() sends first to the alpha of the period it stamps (PROTOCOL §4): it takes the payment
    // until its period's end, and answers INSUFFICIENT_FUNDS at once, where a forwarder cannot.
    this.log.info(`paying ${ticket.amount} scryp to ${record.to}`);
    const reference = ticket.reference === null ? {} : { reference: ticket.reference };
    pay(this.client, this.network, signer, { to: ticket.to, amount: ticket.amount, ...reference, onProgress: step, now: this.now }).then(
      (end: PaymentEnd) => {
        record.progress = progressOfEnd(end);
        if (end.outcome === 'refused') record.refusal = end.status;
        this.balanceAsked = null; // the balance changed, or may have
        step(`${end.outcome}${end.txid === null ? '' : ` (txid ${toHex(end.txid)})`}`);
        this.log.info(`payment ${record.progress.txid ?? ''}: ${end.outcome}`);
      },
      (error: Error) => {
        record.progress = { ...record.progress, stage: 'timeout' };
        step(`stopped: ${error.message}`);
        this.log.error(`payment stopped: ${error.stack ?? error.message}`);
      },
    );
    return this.paymentView(record);
  }

  private remember(record: PaymentRecord): void {
    if (this.payments.size >= wallet_payments_remembered_max) {
      for (const [id, old] of this.payments) {
        if (final_stages.includes(old.progress.stage)) {
          this.payments.delete(id);
          break;
        }
      }
    }
    this.payments.set(record.id, record);
  }

  payment(id: string): PaymentView {
    const record = this.payments.get(id);
    if (record === undefined) fail('WALLET_REQUEST', `payment ${id.slice(0, 40)}: not a payment of this session`);
    return this.paymentView(record);
  }

  private paymentView(record: PaymentRecord): PaymentView {
    return {
      id: record.id,
      to: record.to,
      amount: record.amount,
      reference: record.reference?.toString() ?? null,
      stage: record.progress.stage,
      final: final_stages.includes(record.progress.stage),
      words: stageInWords(record.progress, record.refusal),
      txid: record.progress.txid,
      period: record.progress.period,
      steps: [...record.steps],
    };
  }

  // ---- receive ----------------------------------------------------------------------------

  request(body: JsonObject): RequestView {
    const { amount, reference, label, message } = parseRequestBuilder(body);
    const view = this.requestOf({ account: this.account, ...(amount === undefined ? {} : { amount }), ...(reference === undefined ? {} : { reference }), label, message });
    return { ...view, reference: reference?.toString() ?? null };
  }

  /** A payment request as text and as a QR code. */
  private requestOf(request: PaymentRequest): { uri: string; qr: string } {
    const uri = formatPaymentRequest(request);
    // ecc M: a phone camera reads it off a screen or a worn print; border 4 is the quiet zone the standard asks.
    const svg = renderSVG(uri, { ecc: 'M', border: 4, pixelSize: 8 });
    return { uri, qr: `data:image/svg+xml;base64,${base64.encode(utf8(svg))}` };
  }

  // ---- the till ---------------------------------------------------------------------------

  tillStart(body: JsonObject): TillView {
    const { amount, note } = parseSale(body);
    return this.till.start(amount, note);
  }

  tillView(id: string): TillView {
    return this.till.view(id);
  }

  tillCancel(body: JsonObject): Record<string, never> {
    this.till.cancel(textField(body, 'id', { maxChars: 64 }));
    return {};
  }

  /**
   * The account's payments from period `since` on, newest first, page after page (at most
   * till_history_entries_max). A page is what one HISTORY reply holds: asked every period,
   * a till costs one datagram per server unless more payments came since its sale began.
   */
  private async tillRead(since: number): Promise<TillRead> {
    await this.refreshAddresses();
    const entries: HistoryEntry[] = [];
    let before: HistoryCursor | undefined;
    let committedPeriod: number | null = null;
    while (entries.length < till_history_entries_max) {
      const page = await accountHistory(this.client, this.network, this.account, { limit: history_entries_max, ...(before === undefined ? {} : { before }) });
      if (page.answered.length < this.network.majority) break; // no majority: nothing to believe, nothing decided
      committedPeriod ??= page.committedPeriod;
      entries.push(...page.entries);
      const last = page.entries[page.entries.length - 1];
      if (page.next === null || last === undefined || last.period < since) break;
      before = page.next;
    }
    return { entries, committedPeriod };
  }

  // ---- receipts ---------------------------------------------------------------------------

  /** The receipt of a committed payment of this wallet (client/receipt.ts: a quorum of the servers in force for its period vouch for it). */
  async receipt(body: JsonObject): Promise<ReceiptView> {
    const txid = txidField(body);
    await this.refreshAddresses(); // where the servers' gateways are, for the pocket wallet
    const collected = await collectReceipt(this.client, this.fileNetwork, this.account, txid);
    const { checked } = collected;
    const name = `receipt-${toHex(txid)}.json`;
    const direction = equal(checked.payee, this.account) ? 'received' : 'paid';
    const summary =
      `${amountText(checked.amount)} scryp ${direction}${checked.reference === null ? '' : ` with reference ${checked.reference}`}, committed in period ${checked.period}: ` +
      `vouched for by ${listOf([...checked.servers])} (a quorum is ${checked.configuration.quorum} of ${checked.configuration.servers.length}).`;
    return { name, text: formatReceipt(collected.receipt), summary };
  }

  // ---- history ----------------------------------------------------------------------------

  /** One page of this wallet's payments, newest first, older than `before`. */
  async history(before: HistoryCursor | undefined): Promise<HistoryView> {
    await this.refreshAddresses();
    const page = await accountHistory(this.client, this.network, this.account, { limit: history_limit_default, ...(before === undefined ? {} : { before }) });
    const contacts = this.contacts().contacts;
    const rows = page.entries.map((entry) => this.historyRow(entry, contacts));
    const total = this.network.servers.length;
    const archive = page.archiveFrom > 0 ? ` The servers hold payments from period ${page.archiveFrom + 1} on; older ones are not listed.` : '';
    const note =
      page.answered.length === 0
        ? 'No server answered: the history is unknown for now.'
        : `Committed up to period ${page.committedPeriod}; ${page.answered.length} of ${total} servers answered.${archive}`;
    return {
      rows,
      next: page.next === null ? null : `${page.next.period}:${page.next.index}`,
      committedPeriod: page.answered.length === 0 ? null : page.committedPeriod,
      note,
    };
  }

  private historyRow(entry: HistoryEntry, contacts: readonly Contact[]): HistoryRow {
    const counterparty = encodeAddress(entry.counterparty);
    const outcome = outcomeOf(entry);
    const status =
      outcome === 'committed'
        ? 'Committed'
        : outcome === 'void'
          ? 'Void: skipped, nothing moved'
          : !entry.signatureValid
            ? 'Disputed: its signature does not verify'
            : `Disputed: only ${listOf(entry.servers)} list it`;
    return {
      period: entry.period,
      index: entry.index,
      time: isoTime(entry.timestamp),
      direction: entry.direction,
      counterparty,
      contact: contacts.find((contact) => contact.address === counterparty)?.name ?? null,
      amount: entry.amount,
      txid: toHex(entry.txid),
      reference: entry.reference?.toString() ?? null,
      outcome,
      status,
    };
  }

  /** Every payment the servers list (up to history_client_entries_max), as CSV for a bookkeeper. */
  async historyCsv(): Promise<string> {
    await this.refreshAddresses();
    const page = await accountHistory(this.client, this.network, this.account, { limit: history_client_entries_max });
    return historyCsv(this.account, page.entries, this.network.periodMs);
  }

  // ---- contacts ---------------------------------------------------------------------------

  contacts(): { contacts: Contact[]; problem: string | null } {
    const { contacts, problem } = this.contactsStore.load();
    return { contacts, problem: problem === null ? null : problem.message };
  }

  contactsView(): ContactsView {
    return this.contacts();
  }

  private changeContacts(change: (contacts: Contact[]) => Contact[]): ContactsView {
    const { contacts, problem } = this.contactsStore.load();
    if (problem !== null) throw problem; // never overwrite a file a person may want back
    this.contactsStore.save(change(contacts));
    return this.contacts();
  }

  addContact(body: JsonObject): ContactsView {
    const name = textField(body, 'name', { maxChars: 200 });
    const address = textField(body, 'address', { maxChars: 200 });
    return this.changeContacts((contacts) => addContact(contacts, name, address));
  }

  removeContact(body: JsonObject): ContactsView {
    const name = textField(body, 'name', { maxChars: 200 });
    return this.changeContacts((contacts) => removeContact(contacts, name));
  }
}
