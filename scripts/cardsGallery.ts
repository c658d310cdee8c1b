/**
 * `npm run cards:gallery`: renders every card in English and Japanese with the Adaptive Cards JS renderer
 * (a Teams-like light host config) in headless Debian chromium, to docs/cards/<locale>/<card>.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CARD_KINDS } from '../src/domain/effects';
import { LOCALES, type Locale } from '../src/teams/i18n';
import type { AdaptiveCard } from '../src/teams/views';
import { CHROMIUM, chromiumInstalled, dumpDom, screenshot } from './gallery/chromium';
import { CARD_WIDTH, MEASURE, PAGE_PADDING, galleryPage } from './gallery/page';
import { SCENES } from './gallery/scenes';

const ROOT = path.resolve(__dirname, '..');
const OUTPUT = path.join(ROOT, 'docs', 'cards');
const RENDERER = require.resolve('adaptivecards/dist/adaptivecards.js');
/** Two chromium processes at a time: the machines this runs on have two cores. */
const PARALLEL = 2;

async function main(): Promise<void> {
  if (!chromiumInstalled()) {
    console.error(`${CHROMIUM} is missing. Install Debian's chromium first:\n\n  sudo apt-get update && sudo apt-get install -y chromium fonts-noto-cjk\n`);
    process.exit(1);
  }
  const missing = CARD_KINDS.filter((kind) => !SCENES.some((scene) => scene.name === kind || scene.name.startsWith(`${kind}-`)));
  if (missing.length > 0) throw new Error(`the gallery has no scene for ${missing.join(', ')}`);

  const work = mkdtempSync(path.join(tmpdir(), 'cards-gallery-'));
  try {
    let count = 0;
    for (const locale of LOCALES) count += await renderLocale(locale, work);
    console.log(`${count} cards written under ${path.relative(ROOT, OUTPUT)}/`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function renderLocale(locale: Locale, work: string): Promise<number> {
  const cards: Record<string, AdaptiveCard> = Object.fromEntries(SCENES.map((scene) => [scene.name, scene.render(locale)]));
  const page = path.join(work, `${locale}.html`);
  writeFileSync(page, galleryPage(cards, locale, RENDERER));
  const url = pathToFileURL(page).href;
  const heights = await measure(`${url}#${MEASURE}`);
  const folder = path.join(OUTPUT, locale);
  mkdirSync(folder, { recursive: true });
  await inParallel(Object.keys(cards), async (name) => {
    const height = heights[name];
    if (!height) throw new Error(`no height measured for ${name} (${locale})`);
    const file = path.join(folder, `${name}.png`);
    await screenshot(`${url}#${encodeURIComponent(name)}`, file, CARD_WIDTH + 2 * PAGE_PADDING, height + 2 * PAGE_PADDING);
    console.log(path.relative(ROOT, file));
  });
  return Object.keys(cards).length;
}

async function measure(url: string): Promise<Record<string, number>> {
  const dom = await dumpDom(url);
  const json = /<pre id="heights">([^<]*)<\/pre>/.exec(dom)?.[1];
  if (!json) throw new Error('the gallery page reported no card heights: did the renderer load?');
  return JSON.parse(json) as Record<string, number>;
}

async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
