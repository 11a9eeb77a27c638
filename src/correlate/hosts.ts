/**
 * Which host each capture file comes from (DESIGN.md, "Several hosts, tunnels and MTU"): as the user
 * says (`--host NAME=FILE`), or else by the interface names the files describe. Files that name the
 * same interface cannot be one host (a host has one `eth1`), so each is its own host, named by its
 * file's stem; files with disjoint names are one host, the common case of one capture per interface.
 */
import { basename, extname } from 'node:path';

/** The name of the one host when the captures come from a single host. */
export const SINGLE_HOST = 'host';

export interface HostFiles {
  name: string;
  files: string[];
}

export interface HostPlan {
  /** In the order their first file was given. */
  hosts: HostFiles[];
  /** The host of each file, by the path as given. */
  hostOf: Map<string, string>;
}

/** What planHosts needs of a capture: its path and the names of the interfaces it describes. */
export interface FileInterfaces {
  file: string;
  interfaces: readonly string[];
}

/** What planHosts needs of open captures: each one's path and the names its interfaces have. */
export function fileInterfaces(readers: readonly { file: string; info: { interfaces: readonly { name: string }[] } }[]): FileInterfaces[] {
  return readers.map((r) => ({ file: r.file, interfaces: r.info.interfaces.map((i) => i.name) }));
}

/** A file's name without folder and extension: `captures/hostb.pcapng` -> `hostb`. */
export function fileStem(file: string): string {
  const base = basename(file);
  const ext = extname(base);
  return ext.length > 0 && ext.length < base.length ? base.slice(0, -ext.length) : base;
}

/**
 * Hosts for `files`. `given` maps files to host names (`--host`); the files it leaves out are
 * placed as if none were given: one host if their interface names are disjoint, else one host each.
 */
export function planHosts(files: readonly FileInterfaces[], given: ReadonlyMap<string, string> = new Map()): HostPlan {
  const hostOf = new Map<string, string>();
  const rest = files.filter((f) => !given.has(f.file));
  for (const f of files) {
    const name = given.get(f.file);
    if (name !== undefined) hostOf.set(f.file, name);
  }
  const seen = new Set<string>();
  let clash = false;
  for (const f of rest) {
    for (const name of new Set(f.interfaces)) {
      if (seen.has(name)) clash = true;
      seen.add(name);
    }
  }
  if (clash) {
    const taken = new Set(hostOf.values());
    for (const f of rest) {
      let name = fileStem(f.file);
      // Two files with one stem (a/host.pcapng, b/host.pcapng) still make two hosts.
      for (let n = 2; taken.has(name); n++) name = `${fileStem(f.file)}-${n}`;
      taken.add(name);
      hostOf.set(f.file, name);
    }
  } else {
    for (const f of rest) hostOf.set(f.file, SINGLE_HOST);
  }
  const hosts: HostFiles[] = [];
  for (const f of files) {
    const name = hostOf.get(f.file)!;
    const h = hosts.find((x) => x.name === name);
    if (h) h.files.push(f.file);
    else hosts.push({ name, files: [f.file] });
  }
  return { hosts, hostOf };
}

/** An interface's name as the analysis shows it: `HOST:IFACE` once there is more than one host. */
export function hostInterfaceName(plan: HostPlan, file: string, iface: string): string {
  return plan.hosts.length > 1 ? `${plan.hostOf.get(file) ?? SINGLE_HOST}:${iface}` : iface;
}

/**
 * The hosts the interface names of this process's analysis start with. Module state, as the role
 * of an interface by its name is (roles.ts): `hostb:eth1` is hostb's uplink, while `c1:eth0` (a
 * namespace, not a host) is a container's side. Set by the correlator for its captures.
 */
let hostNames: ReadonlySet<string> = new Set();
let version = 0;

/** Several hosts' names (interfaces are named HOST:IFACE), or none for a single host. */
export function useHostNames(names: Iterable<string>): void {
  const next = new Set(names);
  if (next.size === hostNames.size && [...next].every((n) => hostNames.has(n))) return;
  hostNames = next;
  version++;
}

/** Changes whenever useHostNames changes the names: for what caches names read with them. */
export function hostNamesVersion(): number {
  return version;
}

/** The host an interface name starts with (`hostb` of `hostb:eth1`), if the analysis has several. */
export function hostOfInterface(name: string): string | undefined {
  if (hostNames.size === 0) return undefined;
  const i = name.indexOf(':');
  return i > 0 && hostNames.has(name.slice(0, i)) ? name.slice(0, i) : undefined;
}

/** An interface name without its host: `eth1` of `hostb:eth1`. */
export function localInterfaceName(name: string): string {
  const host = hostOfInterface(name);
  return host === undefined ? name : name.slice(host.length + 1);
}
