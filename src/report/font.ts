/**
 * The one font every diagram is measured and drawn in. Mermaid sizes each box from the text widths
 * the browser measures, so a family that resolves to whatever the machine has installed (Mermaid's
 * default "trebuchet ms", verdana, arial) gives every machine its own layout. The font is DejaVu Sans
 * 2.37, regular, from @fontsource/dejavu-sans (Bitstream Vera licence for the Vera glyphs, Arev
 * licence for Arev's, public domain for DejaVu's changes), shown to the browser twice, both from the
 * package's one WOFF file:
 *
 * - in every page, as an @font-face from a data: URL, loaded before Mermaid measures (mermaid-cli
 *   loads everything in `document.fonts` first): the family the diagrams name in CSS;
 * - to Chromium's fontconfig, as the only font it has (`pinnedFontconfig`), because Mermaid also
 *   measures every sequence-diagram label in the generic sans-serif and keeps that width when it is
 *   larger, Chromium draws a character the font lacks in any font fontconfig offers, and fontconfig's
 *   hinting settings change glyph advances (whole pixels under full hinting).
 *
 * Why DejaVu Sans: its one file covers every character the reports draw (Latin-1, µ, ×, –, →, …,
 * Greek, Cyrillic, arrows, box drawing), and it is wide. A character it lacks (CJK in an interface
 * name) is measured as its missing-glyph box, 0.6 em, on every machine alike. The SVGs do not carry
 * the font (370 kB, half as much again in base64, against 30-60 kB for a diagram): they name
 * "DejaVu Sans" then the generic sans-serif, so a viewer with DejaVu (most Linux desktops) draws
 * exactly what was measured, and the usual fallbacks (Arial, Helvetica, Liberation Sans: 0.44 em a
 * character on average, against DejaVu's 0.51) are narrower, so labels still fit their boxes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { woffToSfnt } from './woff.js';

const FONT_FAMILY = 'DejaVu Sans';

/** For CSS and Mermaid's configuration: the pinned family, then only a generic, for viewers. */
export const FONT_STACK = `"${FONT_FAMILY}", sans-serif`;

/** Only the regular face: the diagrams draw no bold or italic text. */
const WOFF = '@fontsource/dejavu-sans/files/dejavu-sans-latin-400-normal.woff';

let woff: Buffer | undefined;
function fontFile(): Buffer {
  woff ??= readFileSync(createRequire(import.meta.url).resolve(WOFF));
  return woff;
}

/** A script for the page before any of its own: it adds the font to `document.fonts`. */
export function fontFaceScript(): string {
  const url = `url(data:font/woff;base64,${fontFile().toString('base64')}) format('woff')`;
  return `document.fonts.add(new FontFace(${JSON.stringify(FONT_FAMILY)}, ${JSON.stringify(url)}, { style: 'normal', weight: '400' }));`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Every family asked for becomes the pinned one (binding "same", so Skia takes the match as the
 * family it asked for rather than as a fallback); glyphs are drawn unhinted, antialiased in grey,
 * as no machine's defaults can then change.
 */
function fontsConf(dir: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>${xml(dir)}</dir>
  <match target="pattern">
    <edit name="family" mode="assign_replace" binding="same"><string>${FONT_FAMILY}</string></edit>
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hinting" mode="assign"><bool>false</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintnone</const></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
  </match>
</fontconfig>
`;
}

export interface PinnedFontconfig {
  /** For the browser's FONTCONFIG_FILE. */
  file: string;
  remove(): Promise<void>;
}

/** A scratch directory holding the font as TrueType and a fontconfig file that offers only it. */
export async function pinnedFontconfig(): Promise<PinnedFontconfig> {
  const dir = await mkdtemp(join(tmpdir(), 'pcap-narrator-font-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, 'DejaVuSans.ttf'), woffToSfnt(fontFile(), WOFF));
    await writeFile(join(dir, 'fonts.conf'), fontsConf(dir));
  } catch (e) {
    await remove();
    throw e;
  }
  return { file: join(dir, 'fonts.conf'), remove };
}
