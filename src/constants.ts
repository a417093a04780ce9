// Every limit of scryp, in one place, with its unit last and the reason beside it.
// Wire sizes are fixed by the protocol (docs/PROTOCOL.md); the other limits are the
// node's own bounds on memory, time and work. Relations between them are asserted at
// the bottom, at load, so a change that breaks one fails at once.

const KiB = 1024;
const MiB = 1024 * KiB;

// ---- Fixed wire sizes -------------------------------------------------------------

export const key_bytes = 32; // Ed25519 public key
export const seed_bytes = 32; // Ed25519 secret seed
export const signature_bytes = 64; // Ed25519 signature
export const hash_bytes = 32; // SHA-256 digest
export const address_bytes = 6; // IPv4 (4) || port u16
export const address_record_bytes = 32 + 6 + 8 + 64; // server key || address || sequence u64 || signature: a server's signed "I am here now" (PROTOCOL §3.10)
export const transaction_bytes = 140; // the author's payment layout
export const transaction_signed_bytes = 76; // timestamp..payer: what the payer signs
export const referenced_transaction_bytes = 148; // the payment with a reference (v1.2): the author's layout with a u64 reference before the signature
export const referenced_transaction_signed_bytes = 84; // timestamp..reference: what the payer signs in that form
export const reference_max = 0xffff_ffff_ffff_ffffn; // a reference is a u64 the payee chose, 1 … 2^64 − 1 (0 is the 140-byte form)
export const listed_transaction_bytes_max = 1 + referenced_transaction_bytes; // a payment in a list (batch, FORWARD, archive): a 148-byte one carries a one-byte tag
export const balance_max = 0xffff_ffff; // balances and the whole supply are u32
export const u64_safe_max = Number.MAX_SAFE_INTEGER; // u64 fields beyond this are refused

// ---- Network file -----------------------------------------------------------------

export const servers_max = 64; // the design's bound on a network
export const network_name_bytes_max = 64; // name_len is a u8; we keep names short
export const genesis_accounts_max = 100_000; // a genesis list is for founders, not a ledger
export const period_ms_min = 50; // shorter periods cannot fit a TCP round trip and a vote
export const period_ms_max = 3_600_000; // one hour
export const network_file_bytes_max = 16 * MiB; // refuse to parse anything larger

// ---- Client protocol (UDP) --------------------------------------------------------

export const datagram_bytes_max = 1232; // fits the IPv6 minimum MTU without fragmentation
export const request_bytes_min = 128; // requests are padded so replies never amplify
export const request_header_bytes = 8; // "SC" || version || kind || request id
export const reply_header_bytes = 9; // "SC" || version || kind|0x80 || request id || status
export const reply_trailer_bytes = key_bytes + signature_bytes; // server key || signature
export const client_requests_per_second = 200; // token refill per source address
export const client_burst_requests = 400; // bucket size per source address
export const client_sources_tracked_max = 65_536; // rate-limit table entries (LRU)
export const rate_limited_notice_ms = 1_000; // at most one RATE_LIMITED reply per source per second
export const udp_send_failures_logged_max = 10; // then only counted
export const known_servers_file_bytes_max = 8 * MiB; // a wallet's DIR/known-servers.json (the chain of changes and the address records) larger than this is ignored and asked afresh
export const wallet_next_period_margin_ms = 5; // in its period's last this many ms a wallet stamps the next period and sends to its alpha (later, the current alpha may have sealed its batch; if it has, BAD_TIME costs one round trip and the next alpha takes the payment)
export const confirm_poll_first_ms = 5; // a wallet asks STATUS this soon after its period ends (a commit takes a few ms) ...
export const confirm_poll_fast_ms = 150; // ... and again every confirm_poll_first_ms for this long after the period's end (3 datagrams a time) ...
export const confirm_poll_max_ms = 250; // ... then twice as long each time, up to a quarter period and at most this
export const history_entries_max = 7; // payments in one HISTORY reply: 154 + 7 × 153 = 1225 bytes, the most a 1232-byte datagram holds
export const addresses_per_reply_max = 10; // address records in one ADDRESSES reply: 106 + 10 × 110 = 1206 bytes, the most a 1232-byte datagram holds
export const addresses_ask_attempts = 2; // a client learning where servers moved asks each server ADDRESSES this many times ...
export const addresses_ask_timeout_ms = 150; // ... waiting this long first (doubled at each resend), and stops once a majority answered
export const chain_ask_attempts = 4; // a client fetching the chain of changes (CONFIG) from the server it chose, or submitting one (CHANGE), sends each request this many times ...
export const chain_ask_timeout_ms = 200; // ... waiting this long first, doubled at each resend
export const addresses_refresh_ms = 60_000; // a long-running wallet asks again this often
export const history_client_entries_max = 10_000; // entries one history query gathers: ≤ 1,429 pages per server, a few seconds on a LAN
export const payment_search_entries_max = 10_000; // entries a search for one payment by txid (receipt save, pay --refund) reads, newest first, before it gives up ...
export const payment_search_page_entries = 500; // ... a page of history at a time
export const receipt_replies_max = servers_max; // replies in a receipt: one per server of the largest network
export const receipt_file_bytes_max = 64 * KiB; // a receipt is a payment and at most 64 replies of 146 bytes, in hex: about 19 KiB

// ---- Peer protocol (TCP) ----------------------------------------------------------

export const frame_header_bytes = 4 + 1 + hash_bytes + key_bytes + 4; // magic version network sender length
export const frame_trailer_bytes = signature_bytes;
export const frame_bytes_max = 12 * MiB; // whole batch, header to signature: bounds what one peer can make us buffer
export const message_header_bytes = 1 + 4; // kind u8 || length u32
export const messages_per_batch_max = 4_096; // bounds per-batch work
export const connection_idle_ms = 60_000; // an inbound connection silent this long is closed
export const frame_deadline_ms = 30_000; // a started frame must complete within this (slowloris)
export const connect_timeout_ms = 2_000; // outbound connect attempt
export const reconnect_delay_ms_min = 100; // backoff after a failed connection ...
export const reconnect_delay_ms_max = 5_000; // ... doubling up to this
export const connect_timeout_ms_min = 250; // a connect attempt gets at least this, however short the period
export const peer_silence_ms_min = 1_000; // a peer silent max(this, 2 periods) has its connection re-dialled
export const sweep_interval_ms_min = 20; // the connection sweeper runs at most this often ...
export const sweep_interval_ms_max = 1_000; // ... and at least this often
export const outbound_queue_bytes_max = 64 * MiB; // per peer; beyond it the oldest batches are dropped
export const outbound_batch_bytes_max = 8 * MiB; // a send() coalesces messages up to this per batch
export const inbound_connections_per_address_max = 8; // TCP connections from one IP
export const inbound_connections_max = 2 * servers_max + 32; // TCP connections in total
export const collect_after_frame_bytes = 8 * MiB; // batch bytes built or received between forced garbage collections

export const address_resend_periods = 16; // every server re-sends every address record it knows this often (≤ 64 × 110 bytes), so a server that was down learns moves
export const gateway_resend_periods = 16; // ... and every gateway record it knows (≤ 64 × 305 bytes), so a server that was down learns where gateways are

// ---- HTTP gateway (scryp node --http: PROTOCOL §6.12) -------------------------------

export const gateway_body_backstop_bytes = 16 * KiB; // Bun itself refuses a longer body (413, uncounted) before the gateway sees it; shorter ones the gateway refuses itself once past datagram_bytes_max, without buffering more
export const gateway_body_deadline_ms = 10_000; // a request body must arrive whole within this (slowloris): 1232 bytes take a phone on a poor link well under a second
export const gateway_connection_idle_ms = 10_000; // a connection silent this long is closed (Bun's idleTimeout, whole seconds)
export const events_streams_max = 4_096; // event streams a node serves at once: each holds a connection and up to events_stream_buffer_bytes_max (128 MiB in all at worst)
export const events_streams_per_source_max = 32; // ... and one source address (a family or a shop behind one NAT; a proxy's clients are told apart by --http-trusted-proxy)
export const events_stream_buffer_bytes_max = 32 * KiB; // events waiting for a live stream's reader (about 45 payments); beyond, the reader is cut and resumes by its cursor
export const events_page_entries = 32; // payments read from the store per backlog page: a page (about 22 KiB) fits a reader's room
export const events_live_periods_max = 64; // a commit that moves further at once (catching up) sends live streams back to their backlog, read a page at a time
export const events_keepalive_ms = 15_000; // a comment to every stream this often: proxies close connections silent for 30 to 60 s
export const gateway_preflight_cache_s = 86_400; // browsers may keep a CORS preflight answer this long: it never changes

// ---- Ledger and consensus ---------------------------------------------------------

export const period_transactions_max = 65_536; // payments one alpha accepts per period
export const forward_transactions_max = 4_096; // payments in one FORWARD message
export const forward_flush_ms = 5; // a forwarder batches payments for at most this long
export const verify_batch_max = 64; // payments per batch handed to a signature-checking thread (512 made the threads take turns: BENCHMARKS, ingest)
export const verify_pending_max = 16_384; // payments waiting for a signature check; beyond it PAY hears RATE_LIMITED
export const state_leaf_count = 65_536; // state hash: buckets by the first two account bytes
export const state_mid_count = 256; // state hash: groups of 256 buckets, by the first byte
export const sync_records_per_reply_max = 256; // committed periods per SYNC_RECORDS
export const sync_reply_bytes_max = 8 * MiB; // ... and their total size
export const sync_replay_periods_max = 10_000; // a longer gap is closed with a snapshot
export const account_ids_cached_max = 1_048_576; // accounts' numbers in the account index kept in memory (about 100 bytes each): a lookup per payer and payee was half of a commit
export const index_epoch_periods = 64; // the account index summarises an account's periods by epochs of this many (a bitmap each; open epochs in memory, rebuilt at start)
export const txid_epoch_periods = 16; // the txid index is kept by epochs of this many periods: a period's rows land among at most this many periods' (a lookup asks each epoch, newest first)
export const snapshot_page_accounts_max = 65_536; // accounts per SNAPSHOT_PAGE
export const snapshots_served_max = 4; // frozen states a server keeps for peers at once
export const snapshot_hold_ms = 60_000; // ... and for how long after its last page
export const votes_remembered_per_server = 16; // signed votes kept per server (and on disk for our own), to relay as proofs
export const vote_links_remembered_per_server = 64; // (period, prev) links kept per server as lock evidence: an old relayed proof must not push itself out
export const pending_proposals_max = 8; // proposals kept for periods not yet decided
export const snapshot_accounts_max = 16_000_000; // accounts a server accepts in one snapshot (≈ 576 MB)
export const void_payments_remembered_max = 1_000_000; // txids of void periods kept for STATUS (memory)
export const sync_timeout_ms_min = 1_000; // a catch-up request unanswered max(this, 2 periods) is asked of another peer
export const verified_certificates_cached_max = 1_024; // certificates whose votes were checked, remembered
export const verified_votes_cached_max = 4_096; // signed votes already checked, remembered
export const evidence_kept_max = 4_096; // proofs of equivocation one server keeps (each a few hundred bytes; honest servers make none)
export const public_keys_cached_max = 4_096; // payer keys decoded for the native verify (and their strict check), remembered
export const webcrypto_verdicts_max = 256; // signatures the page's WebCrypto found valid, kept until verify reads them (one per reply in flight)
export const payable_keys_cached_max = 65_536; // payee verdicts (a Jacobi symbol, ≈8 µs each: jacobi.ts) remembered: a full period's distinct payees

// ---- Operation --------------------------------------------------------------------

export const log_repeat_ms = 60_000; // a repeated warning (same source, same reason) is logged once per this
export const log_keys_max = 4_096; // distinct (source, reason) keys the log limiter remembers
export const stats_interval_ms = 60_000; // a line of counters this often
export const whoami_attempts = 3; // at start: WHOAMI asked of a peer this many times ...
export const whoami_timeout_ms = 300; // ... waiting this long each
export const whoami_rounds_max = 60; // rounds of asking every peer, until one answers ...
export const whoami_retry_ms_min = 1_000; // ... max(this, one period) apart
export const clock_probe_interval_ms = 30_000; // with --metrics: each peer's INFO time is asked this often (scryp_clock_offset_seconds) ...
export const clock_probe_timeout_ms = 1_000; // ... one datagram, waited for this long: a resend would blur the round trip
export const clock_probe_retry_ms = 2_000; // ... and this often while no peer has answered yet (they may be starting with us)
export const clock_offset_fresh_ms = 5 * 60_000; // an offset measured longer ago than this is no longer reported
export const votes_seen_periods_max = 64; // periods whose votes the metrics remember, to count the votes a commit lacked

// ---- Forming a network (scryp network new): defaults for servers across a town ----

export const network_period_ms_default = 2_000; // a commit takes a few round trips (tens of ms in a town, up to a second on a congested uplink): 2 s leaves room, and a payment is final in about 2 to 4 s
export const network_blackout_ms_default = 500; // ≥ the skew: a server whose clock lags the alpha's by the whole skew still forwards in time
export const network_skew_ms_default = 500; // NTP keeps clocks within tens of ms; a machine just booted or on a bad link can be off by more
export const network_skew_ms_risky = 100; // a tighter skew refuses payments (BAD_TIME) from clients and servers whose clocks are merely ordinary
export const network_period_ms_risky = 1_000; // a shorter period leaves too little of it for votes over a town's internet
export const network_skew_period_fraction_max = 0.25; // clocks that may disagree by more than this share of a period make early or late proposals common

// ---- Wallet page (scryp wallet) ---------------------------------------------------

export const wallet_token_bytes = 32; // the page's secret: 256 bits, not guessable across a lifetime of tries
export const wallet_api_body_bytes_max = 16 * KiB; // an API request is a few fields typed by a person
export const wallet_contacts_max = 1_000; // an address book, not a ledger
export const wallet_contact_name_chars_max = 64; // a name a person reads in a list
export const wallet_contacts_file_bytes_max = 1 * MiB; // refuse to parse anything larger
export const wallet_payments_remembered_max = 256; // payments of this session whose progress the page can ask about
export const wallet_progress_steps_max = 64; // progress lines kept per payment (a payment resent many times)
export const wallet_balance_cache_ms = 250; // the overview asked twice within this is answered once (several tabs open)
export const wallet_confirm_words = 3; // words of a new recovery phrase typed back before the seed is written: proof it was written down

// ---- The till (Take a payment, in both wallet pages) ------------------------------

export const till_sale_ms_default = 10 * 60_000; // a till's request lives this long: a customer at the counter pays within minutes, and a forgotten screen stops asking
export const till_sale_ms_min = 10_000; // scryp wallet --till-expiry below this could expire before a customer's wallet has signed
export const till_sale_ms_max = 24 * 60 * 60_000; // ... and above a day it is an invoice, not a sale at a counter (scryp watch follows those)
export const till_late_watch_ms = 30 * 60_000; // after a request expired, the till still looks this long for a payment that comes too late (to say so, and offer the refund)
export const till_unwatched_ms = 15_000; // a sale whose screen no one asked about this long stops the asking (a closed tab; a browser checks a tab in the background about once a second); a look starts it again
export const till_poll_ms = 100; // the till's screen asks the wallet for its sale this often (a call to the local wallet, not to the servers)
export const till_sales_max = 32; // sales one wallet follows at once (several tills of one shop share one wallet); the oldest finished one goes first
export const till_history_entries_max = 2_000; // entries a check reads back, newest first, to find the open sales' payments (a shop's busiest minutes)
export const till_note_chars_max = 200; // the seller's note, shown to the payer in the request (as the Receive tab's message)

// ---- Pocket wallet (the page in a phone's browser, over the HTTP gateway) ----------

export const gateway_attempt_timeout_ms_min = 1_000; // a phone's first request to a gateway may wait for a TLS handshake over a slow radio link
export const gateway_records_max = 64; // one record per server in force (servers_max); a longer list is not read further
export const gateway_url_bytes_max = 200; // a gateway record's URL, UTF-8 (PROTOCOL §12.1)
export const gateway_list_bytes_max = 64 * KiB; // GET /v1/gateways: 64 records of about 450 bytes of JSON
export const camera_scan_ms_max = 120_000; // the camera stops by itself after this: a forgotten scan does not drain a phone's battery
export const camera_frame_ms = 150; // one frame decoded this often (a QR decode takes a few ms on a phone; the rest of the time is the page's)
export const camera_frame_pixels_max = 640; // frames are scaled to at most this wide before decoding: enough for a code that fills a third of the view
export const network_time_refresh_ms = 60_000; // the page asks the network's time again this often (a phone's clock drifts slowly)
export const network_time_retry_ms = 5_000; // ... and this soon when too few servers answered to tell it

// ---- Watching an account (scryp watch) --------------------------------------------

export const watch_pages_per_round_max = 64; // HISTORY pages one round asks of one server (448 entries): a backlog is walked in windows of this, so a server that lists without end cannot hold a round up
export const watch_windows_remembered_max = 1_024; // window tops of a backlog walk kept (a cursor each); beyond, the lowest is replaced and a later window starts higher
export const watch_poll_phase_fraction = 0.25; // a HISTORY round this far into each period: its predecessor committed tens of ms after it ended (BENCHMARKS: commit latency)
export const watch_unreachable_backoff_ms_max = 30_000; // no quorum answers: rounds one period apart, doubling up to this
export const watch_delivery_retry_first_ms = 1_000; // a webhook or command that failed is tried again after this ...
export const watch_delivery_retry_max_ms = 5 * 60_000; // ... doubling up to this, for as long as it takes: a payment is never dropped
export const watch_delivery_timeout_ms_default = 10_000; // one webhook POST or --exec run may take this long before the attempt counts as failed
export const watch_delivery_timeout_ms_max = 10 * 60_000; // --timeout-ms above this is a mistake
export const watch_network_refresh_ms = 10 * 60_000; // the servers in force (and where they are) are learnt again this often
export const watch_webhook_url_chars_max = 2_048; // a URL a person types into a command line
export const watch_secret_bytes = 32; // the webhook secret: 256 bits, as HMAC-SHA256's key

// ---- Keys people keep: seed files, passphrases, recovery phrases -----------------

export const recovery_phrase_words = 24; // BIP 39: 256 bits of seed and 8 of checksum, 11 bits a word
export const recovery_phrase_chars_max = 1_024; // 24 words of at most 8 letters fit in 215; more is not a phrase
export const passphrase_bytes_max = 1_024; // typed, or kept in a small file: more is the wrong file
export const seed_file_bytes_max = 4 * KiB; // a .seed is one short line: refuse to read more
export const seed_kdf_log2_cost = 17; // scrypt N = 2^17: about 0.3 s and 128 MiB per passphrase tried (docs/PROTOCOL.md §3.2)
export const seed_kdf_block_size = 8; // scrypt r, the usual value
export const seed_kdf_parallelism = 1; // scrypt p: one thread, so the cost is all memory and time
export const seed_kdf_log2_cost_min = 10; // a file asking for less protects nothing: refused as damaged
export const seed_kdf_block_size_max = 32; // bounds what a forged file makes us compute ...
export const seed_kdf_parallelism_max = 4; // ... and for how long ...
export const seed_kdf_memory_bytes_max = 256 * MiB; // ... and allocate (128 · r · N)
export const seed_salt_bytes = 16; // scrypt salt: fresh for every encryption
export const seed_nonce_bytes = 12; // AES-256-GCM nonce: 96 bits; each derived key seals once
export const seed_tag_bytes = 16; // AES-256-GCM tag

// ---- Relations --------------------------------------------------------------------

function check(condition: boolean, relation: string): void {
  if (!condition) throw new Error(`constants: ${relation} does not hold`);
}

check(request_bytes_min >= reply_header_bytes + 2 + reply_trailer_bytes, 'a TOO_SHORT reply fits the smallest request');
check(request_header_bytes + referenced_transaction_bytes <= datagram_bytes_max, 'a PAY or PAYREF request fits a datagram');
check(referenced_transaction_bytes === transaction_bytes + 8 && referenced_transaction_signed_bytes === transaction_signed_bytes + 8, 'the reference form adds a u64 before the signature');
check(
  frame_header_bytes + message_header_bytes + 200 + period_transactions_max * listed_transaction_bytes_max + frame_trailer_bytes + 64 * (2 + 8 + signature_bytes) <= frame_bytes_max,
  'a full PROPOSAL with its parent certificate fits one frame',
);
check(snapshot_page_accounts_max * (key_bytes + 4) + 1024 <= frame_bytes_max, 'a SNAPSHOT_PAGE fits one frame');
check(sync_reply_bytes_max + 1024 <= frame_bytes_max, 'a SYNC_RECORDS reply fits one frame');
check(outbound_batch_bytes_max <= frame_bytes_max, 'a coalesced batch fits one frame');
check(outbound_queue_bytes_max >= 2 * frame_bytes_max, 'a peer queue holds at least two full frames');
check(state_leaf_count === 256 * state_mid_count, 'each mid covers 256 leaves');
check(servers_max <= 0xffff, 'a server index fits u16');
check(forward_transactions_max <= period_transactions_max, 'a FORWARD fits in a period');
check(network_blackout_ms_default >= network_skew_ms_default, 'the default blackout covers the default skew');
check(network_skew_ms_default <= network_skew_period_fraction_max * network_period_ms_default, 'the defaults raise no warning of their own');
check(128 * seed_kdf_block_size * 2 ** seed_kdf_log2_cost <= seed_kdf_memory_bytes_max, 'the seed files we write are within what we read');
check(seed_kdf_log2_cost >= seed_kdf_log2_cost_min, 'the seed files we write are not refused as weak');
check(events_page_entries * 800 <= events_stream_buffer_bytes_max, 'a backlog page (payment events of under 800 bytes) fits a reader\'s room');
check(gateway_body_backstop_bytes > datagram_bytes_max, 'the gateway itself refuses every body a datagram cannot hold');
check(gateway_connection_idle_ms % 1_000 === 0 && gateway_connection_idle_ms <= 255_000, 'Bun takes the idle timeout in whole seconds, at most 255');
check(watch_delivery_retry_first_ms <= watch_delivery_retry_max_ms, 'the delivery backoff starts below its cap');
check(watch_delivery_timeout_ms_default <= watch_delivery_timeout_ms_max, 'the default delivery timeout is one --timeout-ms allows');
check(watch_pages_per_round_max * history_entries_max <= history_client_entries_max, 'a watch round gathers no more than a history query');
check(payment_search_entries_max <= history_client_entries_max, 'a payment search reads no more than a history query');
check(receipt_file_bytes_max >= 2 * (transaction_bytes + 8 + receipt_replies_max * (reply_header_bytes + hash_bytes + 1 + 8 + reply_trailer_bytes)) + 4 * KiB, 'the largest receipt, in hex, fits a receipt file');
check(reply_header_bytes + 1 + addresses_per_reply_max * address_record_bytes + reply_trailer_bytes <= datagram_bytes_max, 'a full ADDRESSES reply fits one datagram');
check(
  reply_header_bytes + key_bytes + 8 + 8 + 1 + history_entries_max * (8 + 4 + 1 + transaction_bytes) + reply_trailer_bytes <= datagram_bytes_max,
  'a full HISTORY page fits one datagram',
);
check(till_sale_ms_min <= till_sale_ms_default && till_sale_ms_default <= till_sale_ms_max, 'the till’s default lifetime is one --till-expiry allows');
check(till_history_entries_max <= history_client_entries_max, 'a till check reads no more than a history query');
check(index_epoch_periods % 8 === 0 && index_epoch_periods >= 8, 'an epoch of the account index is a whole bitmap of bytes');
