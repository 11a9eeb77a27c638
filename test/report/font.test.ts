// Diagrams are laid out from the text widths the browser measures. The same captures must give the
// same report.md, SVGs and HTML on any machine, whatever fonts it has: the renderer measures in the
// font the package pins and lets Chromium see no other. Here one sample is rendered under font sets
// unlike the machine's (none at all; every family a serif) and compared byte for byte with the
// committed report, which `npm start` rendered with the machine's own fonts.
import { describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { REPO, haveTool } from '../helpers/tools.js';
import { pinnedFontconfig } from '../../src/report/font.js';

const CLI = join(REPO, 'dist', 'cli', 'main.js');
const SAMPLE = 'bridge-ping';
const COMMITTED = join(REPO, 'reports', SAMPLE);
const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.PUPPETEER_EXECUTABLE_PATH ?? ''].find((p) => p && existsSync(p));
const run = promisify(execFile);

const FONTCONFIG_HEAD = '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n';

/** Font sets a machine could have, as fontconfig files for FONTCONFIG_FILE. */
const FONT_SETS: Record<string, string> = {
  'no font at all': `${FONTCONFIG_HEAD}</fontconfig>\n`,
  // The machine's fonts, but whatever family is asked for (trebuchet ms, verdana, arial, sans-serif,
  // DejaVu Sans) comes out a serif.
  'every family a serif': `${FONTCONFIG_HEAD}  <dir>/usr/share/fonts</dir>\n  <match target="pattern"><edit name="family" mode="assign_replace" binding="same"><string>DejaVu Serif</string></edit></match>\n</fontconfig>\n`,
};

async function renderUnder(fontsConf: string, dir: string): Promise<{ code: number; stderr: string }> {
  const conf = join(dir, 'fonts.conf');
  writeFileSync(conf, fontsConf);
  const captures = readdirSync(join(REPO, 'samples', SAMPLE)).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join('samples', SAMPLE, f));
  const args = [CLI, '--quiet', 'report', ...captures, '-o', join(dir, 'out'), '--scenario', join('samples', SAMPLE, 'scenario.txt'), '--render', 'svg', '--format', 'html'];
  return run(process.execPath, args, { cwd: REPO, encoding: 'utf8', timeout: 300_000, env: { ...process.env, FONTCONFIG_FILE: conf } }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? String(e) }),
  );
}

const why = !existsSync(CLI) ? 'skipped: dist/ is not built (npm install builds it)' : !browser ? 'skipped: no Chromium to render the diagrams (CI installs it through .ci/run)' : undefined;

describe.skipIf(why !== undefined)('reports rendered under other font sets', () => {
  if (why) it.skip(why, () => {});
  const pages: string[] = [];
  for (const [name, conf] of Object.entries(FONT_SETS)) {
    it(`${SAMPLE} with ${name}: report.md and every SVG byte for byte as committed`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pn-fonts-'));
      try {
        const result = await renderUnder(conf, dir);
        expect(result.code, result.stderr).toBe(0);
        const out = join(dir, 'out');
        const svgs = readdirSync(COMMITTED).filter((f) => f.endsWith('.svg')).sort();
        expect(readdirSync(out).filter((f) => f.endsWith('.svg')).sort()).toEqual(svgs);
        expect(readFileSync(join(out, 'report.md'), 'utf8')).toBe(readFileSync(join(COMMITTED, 'report.md'), 'utf8'));
        for (const f of svgs) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(COMMITTED, f), 'utf8'));
        pages.push(readFileSync(join(out, 'report.html'), 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 320_000);
  }
  it('the HTML pages of both font sets are the same bytes', () => {
    expect(pages).toHaveLength(Object.keys(FONT_SETS).length);
    expect(new Set(pages).size).toBe(1);
  });
});

const noFc = haveTool('fc-match') ? undefined : 'skipped: fc-match not installed (the fontconfig package)';

describe.skipIf(noFc !== undefined)('pinnedFontconfig', () => {
  if (noFc) it.skip(noFc, () => {});
  it('offers the pinned font as the only one, whatever family is asked for, and is removed after', async () => {
    const fonts = await pinnedFontconfig();
    try {
      const env = { ...process.env, FONTCONFIG_FILE: fonts.file };
      const list = spawnSync('fc-list', ['--format', '%{family}|%{file}\n'], { env, encoding: 'utf8' });
      expect(list.stdout.trim().split('\n')).toEqual([`DejaVu Sans|${join(fonts.file, '..', 'DejaVuSans.ttf')}`]);
      for (const family of ['sans-serif', 'serif', 'monospace', 'Arial', 'trebuchet ms', 'Noto Sans CJK JP']) {
        const match = spawnSync('fc-match', ['--format', '%{family}|%{hinting}|%{antialias}', family], { env, encoding: 'utf8' });
        expect(match.stdout, family).toBe('DejaVu Sans|False|True');
      }
    } finally {
      await fonts.remove();
    }
    expect(existsSync(fonts.file)).toBe(false);
  });
});
