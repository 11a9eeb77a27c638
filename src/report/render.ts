/**
 * Renders Mermaid diagrams to SVG or PNG with mermaid-cli, all diagrams of a run in one browser. The
 * browser is the system's Chromium (never one downloaded at install time); the puppeteer used is the
 * one mermaid-cli itself depends on, resolved from its package, so both agree on the protocol.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FONT_STACK, fontFaceScript, pinnedFontconfig, type PinnedFontconfig } from './font.js';

export type ImageFormat = 'svg' | 'png';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser to use, or undefined with the reason in `browserMissingReason`. */
export function findBrowser(): string | undefined {
  const env = process.env.PUPPETEER_EXECUTABLE_PATH;
  if (env && existsSync(env)) return env;
  return CANDIDATES.find((p) => existsSync(p));
}

export const HOW_TO_RENDER =
  'No Chromium was found (looked at $PUPPETEER_EXECUTABLE_PATH and ' +
  CANDIDATES.join(', ') +
  '), so the diagrams stay Mermaid blocks in report.md. GitHub, GitLab and most documentation sites draw them as they are; ' +
  'to make images, install Chromium (`apt-get install chromium`) and run the report again with `--render svg`, ' +
  'or render one block with `npx mmdc -i diagram.mmd -o diagram.svg -p puppeteer.json`.';

export const BROWSER_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

interface Page {
  close(): Promise<void>;
  evaluateOnNewDocument(script: string): Promise<unknown>;
}
interface Browser {
  close(): Promise<void>;
  newPage(): Promise<Page>;
}
interface PuppeteerLike {
  launch(options: { executablePath: string; args: string[]; headless: boolean; timeout: number; env: Record<string, string | undefined> }): Promise<Browser>;
}
type RenderMermaid = (browser: Browser, definition: string, format: ImageFormat, options?: { backgroundColor?: string; mermaidConfig?: Readonly<Record<string, unknown>> }) => Promise<{ data: Uint8Array }>;

async function loadRenderer(): Promise<{ puppeteer: PuppeteerLike; renderMermaid: RenderMermaid }> {
  const cliEntry = import.meta.resolve('@mermaid-js/mermaid-cli');
  const cli = (await import(cliEntry)) as { renderMermaid: RenderMermaid };
  const require = createRequire(new URL(cliEntry));
  const puppeteerPath = require.resolve('puppeteer');
  const mod = (await import(pathToFileURL(puppeteerPath).href)) as { default: PuppeteerLike };
  return { puppeteer: mod.default, renderMermaid: cli.renderMermaid };
}

/**
 * Chromium on a busy two-core machine (CI running test files side by side) can take longer than
 * puppeteer's default 30 s to start; a browser that has not started in two minutes will not.
 */
const LAUNCH_TIMEOUT_MS = 120_000;

/** The browser was found but would not start: the report goes on without images, as with none. */
export class BrowserLaunchError extends Error {
  constructor(executablePath: string, reason: string) {
    super(`${executablePath} did not start (${reason}), so the diagrams stay Mermaid blocks in report.md`);
    this.name = 'BrowserLaunchError';
  }
}

export class DiagramRenderError extends Error {
  constructor(
    readonly diagramId: string,
    readonly reason: string,
  ) {
    super(`diagram ${diagramId}: ${reason}`);
  }
}

// Mermaid draws some node shapes with rough.js, which jitters every curve from a random seed, and
// numbers elements from a counter shared by the page: fixed, the same report renders to the same bytes.
// Every family Mermaid would measure or name is the pinned font (see font.ts): the theme's, and the
// sequence diagram's own three, which default to "Open Sans" and "trebuchet ms".
const MERMAID_CONFIG = {
  handDrawnSeed: 1,
  deterministicIds: true,
  fontFamily: FONT_STACK,
  themeVariables: { fontFamily: FONT_STACK },
  sequence: { actorFontFamily: FONT_STACK, noteFontFamily: FONT_STACK, messageFontFamily: FONT_STACK },
} as const;

/** One browser for many diagrams. Use `withRenderer` so it is always closed. */
export class MermaidRenderer {
  /** What renderMermaid opens its pages in: the browser, with the pinned font in every page. */
  private readonly withFont: Browser;

  private constructor(
    private readonly browser: Browser,
    private readonly renderMermaid: RenderMermaid,
    private readonly fonts: PinnedFontconfig,
  ) {
    const script = fontFaceScript();
    this.withFont = {
      close: () => browser.close(),
      newPage: async () => {
        const page = await browser.newPage();
        await page.evaluateOnNewDocument(script);
        return page;
      },
    };
  }

  static async open(executablePath: string): Promise<MermaidRenderer> {
    const { puppeteer, renderMermaid } = await loadRenderer();
    const fonts = await pinnedFontconfig();
    // The machine's fontconfig (FONTCONFIG_PATH and FONTCONFIG_SYSROOT would redirect ours) is
    // never read: the browser sees the pinned font and nothing else.
    const env = { ...process.env, FONTCONFIG_FILE: fonts.file, FONTCONFIG_PATH: undefined, FONTCONFIG_SYSROOT: undefined };
    let browser: Browser;
    try {
      browser = await puppeteer.launch({ executablePath, args: BROWSER_ARGS, headless: true, timeout: LAUNCH_TIMEOUT_MS, env });
    } catch (e) {
      await fonts.remove();
      throw new BrowserLaunchError(executablePath, e instanceof Error ? e.message.split('\n')[0] : String(e));
    }
    return new MermaidRenderer(browser, renderMermaid, fonts);
  }

  /** The image bytes; throws DiagramRenderError when Mermaid cannot parse or draw the text. */
  async render(id: string, mermaid: string, format: ImageFormat): Promise<Uint8Array> {
    try {
      const { data } = await this.renderMermaid(this.withFont, mermaid, format, { backgroundColor: 'white', mermaidConfig: MERMAID_CONFIG });
      return data;
    } catch (e) {
      throw new DiagramRenderError(id, e instanceof Error ? e.message.split('\n')[0] : String(e));
    }
  }

  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      await this.fonts.remove();
    }
  }
}

export async function withRenderer<T>(executablePath: string, fn: (r: MermaidRenderer) => Promise<T>): Promise<T> {
  const r = await MermaidRenderer.open(executablePath);
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

/** Renders every diagram into `dir` as `<id>.<format>`; returns id -> file name. */
export async function renderDiagrams(
  diagrams: { id: string; mermaid: string }[],
  dir: string,
  format: ImageFormat,
  executablePath: string,
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  await withRenderer(executablePath, async (r) => {
    for (const d of diagrams) {
      const data = await r.render(d.id, d.mermaid, format);
      const name = `${d.id}.${format}`;
      await writeFile(join(dir, name), data);
      files.set(d.id, name);
    }
  });
  return files;
}
