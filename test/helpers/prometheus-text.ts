// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests that
// scrape a node: every sample belongs to a family with one HELP and one TYPE line, names
// and labels are well formed, values are floats. What Prometheus itself would refuse,
// this refuses with the line number.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string | null;
  type: string | null;
  readonly samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text)) throw new Error(`line ${line}: value "${text}" is not a float`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,?)/.exec(rest);
    if (match === null) throw new Error(`line ${line}: bad labels {${text}}`);
    const [whole, name, raw, comma] = match;
    if (!labelName.test(name!) || name! in labels) throw new Error(`line ${line}: label ${name} is bad or repeated`);
    labels[name!] = raw!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
    if (comma === '' && rest.length > 0) throw new Error(`line ${line}: labels not separated by commas`);
  }
  return labels;
}

/** The family a sample name belongs to: histogram and summary samples carry suffixes. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const exact = families.get(name);
  if (exact !== undefined) return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family !== undefined && (family.type === 'histogram' || family.type === 'summary')) return family;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string, line: number): Family => {
    if (!metricName.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
    let found = families.get(name);
    if (found === undefined) families.set(name, (found = { name, help: null, type: null, samples: [] }));
    return found;
  };
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    if (raw.trim() === '') continue;
    if (raw.startsWith('# HELP ')) {
      const [, name, help] = /^# HELP (\S+) (.*)$/.exec(raw) ?? [];
      if (name === undefined) throw new Error(`line ${line}: bad HELP`);
      const target = family(name, line);
      if (target.help !== null) throw new Error(`line ${line}: second HELP for ${name}`);
      target.help = help ?? '';
    } else if (raw.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (\S+)$/.exec(raw) ?? [];
      if (name === undefined || type === undefined || !types.has(type)) throw new Error(`line ${line}: bad TYPE`);
      const target = family(name, line);
      if (target.type !== null) throw new Error(`line ${line}: second TYPE for ${name}`);
      if (target.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
      target.type = type;
    } else if (raw.startsWith('#')) {
      continue; // a comment
    } else {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?[0-9]+)?$/.exec(raw);
      if (match === null) throw new Error(`line ${line}: not a sample: ${raw}`);
      const name = match[1]!;
      const target = familyOf(name, families);
      if (target === undefined || target.type === null || target.help === null) throw new Error(`line ${line}: sample ${name} without HELP and TYPE`);
      target.samples.push({ name, labels: parseLabels(match[2] ?? '', line), value: parseValue(match[3]!, line) });
    }
  }
  return families;
}

/** The value of one sample, by name and labels (all given labels must match); undefined when absent. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) return sample.value;
    }
  }
  return undefined;
}
