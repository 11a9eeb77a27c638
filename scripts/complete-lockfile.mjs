// The package registry these machines reach serves only the packages of this platform, so `npm install`
// leaves the other platforms' optional binaries (rollup's, esbuild's) out of package-lock.json, and
// `npm ci` then refuses the lock as out of sync. This adds an entry for each missing optional
// dependency, with the os/cpu/libc its name declares, so that npm ci skips it on every other machine
// exactly as it would with a complete lock. Run it after any `npm install` that changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = { 'arm-eabi': 'arm', arm: 'arm', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x', mips64el: 'mips64el' };
let added = 0;
for (const [where, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = where === '' ? '' : `${where}/`;
    const key = `${base}node_modules/${name}`;
    if (packages[key] || packages[`node_modules/${name}`]) continue;
    const leaf = name.split('/').pop();
    const parts = leaf.replace(/^rollup-/, '').split('-');
    const os = OS.includes(parts[0]) ? parts[0] : undefined;
    const rest = parts.slice(1);
    const cpuKey = [rest.join('-'), rest[0]].find((k) => k in CPU);
    const libc = rest.includes('musl') || rest.includes('musleabihf') ? ['musl'] : os === 'linux' && (rest.includes('gnu') || rest.includes('gnueabihf')) ? ['glibc'] : undefined;
    // Keys in the order npm itself writes them, so that a later `npm install` leaves the lock as it is.
    const entry = { version, cpu: cpuKey ? [CPU[cpuKey]] : undefined, dev: meta.dev, libc, license: 'MIT', optional: true, os: os ? [os] : undefined };
    if (!entry.dev) delete entry.dev;
    packages[`node_modules/${name}`] = JSON.parse(JSON.stringify(entry));
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} optional platform entries to package-lock.json`);
