// Logs an operator can read: one line per event, UTC time, level, subsystem tag, message.
//   2026-11-23T23:59:01.123Z INFO  [consensus] committed period 881234567: 12 of 12 payments applied
// With --json, one JSON object per line: {"time","level","tag","message"}.
// Logs go to stderr; stdout is kept for the output of commands (keys, answers).

import { createConsola, type ConsolaInstance, type LogObject } from 'consola';
import { log_keys_max } from './constants.ts';

export const log_levels = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof log_levels)[number];

const levelNumber: Record<LogLevelName, number> = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

function levelName(level: number): string {
  if (level <= 0) return 'ERROR';
  if (level === 1) return 'WARN';
  if (level <= 3) return 'INFO';
  if (level === 4) return 'DEBUG';
  return 'TRACE';
}

function text(args: unknown[]): string {
  return args.map((arg) => (arg instanceof Error ? (arg.stack ?? arg.message) : typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
}

let root: ConsolaInstance = build('info', false);

function build(level: LogLevelName, json: boolean): ConsolaInstance {
  return createConsola({
    level: levelNumber[level],
    reporters: [
      {
        log(entry: LogObject) {
          const time = entry.date.toISOString();
          const level = levelName(entry.level);
          const message = text(entry.args);
          const line = json
            ? JSON.stringify({ time, level: level.toLowerCase(), tag: entry.tag || 'scryp', message })
            : `${time} ${level.padEnd(5)} ${entry.tag ? `[${entry.tag}] ` : ''}${message}`;
          process.stderr.write(`${line}\n`);
        },
      },
    ],
  });
}

const tagged = new Map<string, ConsolaInstance>();

function withTag(tag: string): ConsolaInstance {
  let instance = tagged.get(tag);
  if (instance === undefined) tagged.set(tag, (instance = root.withTag(tag)));
  return instance;
}

export function configureLogs(level: LogLevelName, json: boolean): void {
  root = build(level, json);
  tagged.clear();
}

/**
 * Colour codes only for a person at a terminal: not when stdout is a pipe or a file, and
 * not when NO_COLOR is set to anything (no-color.org). citty decides once, when it loads,
 * and only knows NO_COLOR=1: this runs before it loads and says it in citty's words.
 */
export function chooseColour(stdoutIsTerminal: boolean, env: Record<string, string | undefined>): boolean {
  const wanted = stdoutIsTerminal && (env.NO_COLOR ?? '') === '';
  if (!wanted) env.NO_COLOR = '1';
  return wanted;
}

export function parseLogLevel(value: unknown): LogLevelName {
  if (typeof value === 'string' && (log_levels as readonly string[]).includes(value)) return value as LogLevelName;
  throw new Error(`--log-level: expected one of ${log_levels.join(', ')}, got ${String(value)}`);
}

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** A logger for one subsystem. Resolved at each call, so configureLogs applies to loggers made before it. */
export function logger(tag: string): Logger {
  return {
    error: (message: string) => withTag(tag).error(message),
    warn: (message: string) => withTag(tag).warn(message),
    info: (message: string) => withTag(tag).info(message),
    debug: (message: string) => withTag(tag).debug(message),
  };
}

/** Lets one line per key through per interval: bad input is counted always, logged once. */
export class LogLimiter {
  private readonly last = new Map<string, number>();
  constructor(
    private readonly intervalMs: number,
    private readonly keysMax = log_keys_max,
  ) {}
  allow(key: string, now: number): boolean {
    const previous = this.last.get(key);
    if (previous !== undefined && now - previous < this.intervalMs) return false;
    if (this.last.size >= this.keysMax) this.last.clear();
    this.last.set(key, now);
    return true;
  }
}
