import { CliError, EXIT_USAGE } from './exit.js';

/**
 * `--iface-map 4=docker0,5=vethc1`: names for the interface indexes that `tcpdump -i any` (Linux
 * cooked v2) records. An index without a name is shown as `if4`.
 */
export function parseIfaceMap(text: string | undefined): Map<number, string> {
  const map = new Map<number, string>();
  if (!text) return map;
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(\d+)=(.+)$/.exec(item);
    if (!m) throw new CliError(`--iface-map: "${item}" is not INDEX=NAME (e.g. 4=docker0)`, EXIT_USAGE);
    const index = Number(m[1]);
    const name = m[2].trim();
    if (!/^[\w.@:-]{1,64}$/.test(name)) {
      throw new CliError(`--iface-map: "${name}" is not an interface name (letters, digits, . _ - @ :)`, EXIT_USAGE);
    }
    map.set(index, name);
  }
  return map;
}

/** Commander's collector for options that may be given several times. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
