// Operating errors: bad input from a file, a client or a peer. Each has a stable code
// that tests assert on and logs print; the message names the field and what it got.
// A broken invariant is not one of these: it is a bug, and `assert` crashes.

/** The codes of an account or a payment request a person mistyped (the CLI exits 2 for them, as for any bad argument). */
function accountInputCodes() {
  return ['BAD_ACCOUNT', 'ADDRESS_MIXED_CASE', 'ADDRESS_PREFIX', 'ADDRESS_CHARACTER', 'ADDRESS_LENGTH', 'ADDRESS_CHECKSUM', 'UNSPENDABLE_KEY', 'BAD_PAYMENT_REQUEST', 'PAYMENT_REQUEST_UNSUPPORTED'] as const;
}

/** Every code, in one list: docs/ERRORS.md explains each (test/errors.test.ts keeps the two equal). */
export const errorCodes = [
  // bytes and values
  'BAD_TYPE',
  'BAD_LENGTH',
  'BAD_HEX',
  'OUT_OF_RANGE',
  // addresses, keys, files
  'BAD_ADDRESS',
  'BAD_SEED_FILE',
  'BAD_NETWORK_FILE',
  // seed files, passphrases and recovery phrases (keys people keep)
  'SEED_MISSING',
  'SEED_EXISTS',
  'SEED_NOT_ENCRYPTED',
  'SEED_ALREADY_ENCRYPTED',
  'NEEDS_PASSPHRASE',
  'BAD_PASSPHRASE',
  'PASSPHRASE_EMPTY',
  'PASSPHRASE_TOO_LONG',
  'PASSPHRASE_MISMATCH',
  'PASSPHRASE_FILE_MISSING',
  'PASSPHRASE_FILE_UNREADABLE',
  'PHRASE_LENGTH',
  'PHRASE_UNKNOWN_WORD',
  'PHRASE_CHECKSUM',
  'PHRASE_CHARACTER',
  // accounts as people type them, and payment requests
  ...accountInputCodes(),
  // the wallet page (scryp wallet) and its files
  'WALLET_TOKEN',
  'WALLET_HOST',
  'WALLET_ORIGIN',
  'WALLET_REQUEST',
  'WALLET_AMOUNT',
  'WALLET_OVERDRAFT',
  'WALLET_SELF_PAYMENT',
  'BAD_CONTACT',
  'BAD_CONTACTS_FILE',
  'WALLET_LOCKED',
  'WALLET_WORDS',
  'WALLET_REFERENCE',
  'WALLET_STAFF',
  // the pocket wallet (the page in a browser, over servers' HTTP gateways)
  'BAD_GATEWAY_URL',
  'POCKET_OFFLINE',
  // client protocol
  'REQUEST_TOO_SHORT',
  'REQUEST_TOO_LONG',
  'BAD_MAGIC',
  'BAD_VERSION',
  'UNKNOWN_KIND',
  'BAD_PADDING',
  'BAD_REPLY',
  'BAD_REPLY_SIGNATURE',
  // the HTTP gateway (scryp node --http)
  'GATEWAY_BODY_SIZE',
  'GATEWAY_BODY_DEADLINE',
  'GATEWAY_NO_REPLY',
  'GATEWAY_RATE_LIMITED',
  'GATEWAY_METHOD',
  'GATEWAY_NOT_FOUND',
  'GATEWAY_TLS',
  'GATEWAY_CURSOR',
  'GATEWAY_STREAMS',
  // peer framing
  'FRAME_MAGIC',
  'FRAME_VERSION',
  'FRAME_NETWORK',
  'FRAME_SENDER',
  'FRAME_TOO_LARGE',
  'FRAME_SIGNATURE',
  'FRAME_MESSAGE_KIND',
  'FRAME_MESSAGE_LENGTH',
  'FRAME_MESSAGE_COUNT',
  'FRAME_EMPTY',
  'FRAME_DEADLINE',
  'FRAME_IDLE',
  'BAD_MESSAGE',
  'BAD_CERTIFICATE',
  // configuration changes (consensus/configuration.ts)
  'CHANGE_EMPTY',
  'CHANGE_TOO_MANY',
  'CHANGE_BAD_KEY',
  'CHANGE_DUPLICATE_KEY',
  'CHANGE_DUPLICATE_ADDRESS',
  'CHANGE_NOT_CURRENT',
  'CHANGE_SIGNATURES',
  'CHANGE_BAD_SIGNATURE',
  'CHANGE_TOO_LATE',
  'CHANGE_CHAIN',
  // the operator tools of a change (scryp network change, sign)
  'BAD_CHANGE_FILE',
  'CHANGE_OTHER_NETWORK',
  'CHANGE_UNKNOWN_SERVER',
  // receipts (receipt.ts): what a receipt check finds wrong
  'RECEIPT_MALFORMED',
  'RECEIPT_OTHER_NETWORK',
  'RECEIPT_BAD_PAYMENT_SIGNATURE',
  'RECEIPT_REPLY_SIGNATURE',
  'RECEIPT_WRONG_PAYMENT',
  'RECEIPT_NOT_COMMITTED',
  'RECEIPT_PERIODS_DISAGREE',
  'RECEIPT_UNKNOWN_SERVER',
  'RECEIPT_TOO_FEW',
  // refunds (client/refund.ts): a payment that may not be refunded
  'REFUND_NOT_FOUND',
  'REFUND_NOT_RECEIVED',
  'REFUND_VOID',
  'REFUND_NOT_CONFIRMED',
  // storage
  'STORE_MISMATCH',
  'STORE_CORRUPT',
  'STORE_UNAVAILABLE',
  // operator tools: files they write, backups
  'OUT_EXISTS',
  'OUT_UNWRITABLE',
  'BACKUP_CHECK_FAILED',
  // watching an account (scryp watch)
  'WATCH_URL',
  'WATCH_NO_ACCOUNT',
  'WATCH_POSITION_FILE',
  'WATCH_POSITION_OTHER',
  'WATCH_SECRET_FILE',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export const personInputCodes: ReadonlySet<ErrorCode> = new Set(accountInputCodes());

export class ScrypError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ScrypError';
    this.code = code;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new ScrypError(code, message);
}

export function isScrypError(value: unknown, code?: ErrorCode): value is ScrypError {
  return value instanceof ScrypError && (code === undefined || value.code === code);
}

/** A programmer error: the code is wrong, not the input. Crash, do not handle. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
