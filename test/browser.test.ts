/**
 * The translate page in a real browser (headless Chromium through playwright-core), served on a loopback
 * port with a tiny untrained model: type, submit, read the translation and the heatmap, hover a cell,
 * try script injection; check a typed translation (forced alignment, per-word probabilities); and the
 * pages at 390 px and 1280 px: text at 10 px or more (SVG text measured as drawn), a heatmap that says it
 * scrolls and keeps its labels in view, chart axes that end at the data. Screenshots go to test-output/.
 * Skipped when /usr/bin/chromium is absent (install it with `apt-get install -y chromium`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../src/util/chromium.js';
import { createApp } from '../src/server/app.js';
import { loadModelInfo } from '../src/server/model-info.js';
import { InProcessService } from '../src/server/service.js';
import { makeTinyModel } from './helpers/tiny-model.js';

// Functions passed to page.evaluate run in the browser; the project's `lib` has no DOM types.
interface Rect {
  left: number;
  right: number;
  top: number;
  width: number;
}
interface El {
  tagName: string;
  childNodes: ArrayLike<{ nodeType: number; textContent: string | null }>;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): Rect;
  getClientRects(): { length: number };
  closest(selector: string): El | null;
  querySelector(selector: string): El | null;
  scrollLeft: number;
}
declare const document: {
  activeElement: { getAttribute(name: string): string | null } | null;
  documentElement: { scrollWidth: number };
  scripts: Iterable<{ getAttribute(name: string): string | null }>;
  querySelectorAll(selector: string): Iterable<El>;
  querySelector(selector: string): El | null;
};
declare function getComputedStyle(el: unknown): {
  backgroundColor: string;
  fontSize: string;
  position: string;
};

const CHROMIUM = '/usr/bin/chromium';
const OUT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test-output');

describe('browser: translate page', function () {
  let dir: string;
  let service: InProcessService;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;
  const problems: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      console.log(`    skipping browser tests: ${CHROMIUM} not found (apt-get install -y chromium)`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-browser-test-'));
    await makeTinyModel(dir);
    // A training log that stops at step 20,500 (the axis must end there, not at 25k) and the corpora the
    // trainer records, so the model page has charts and attribution to show.
    const log = [];
    for (let step = 250; step <= 20_500; step += 250) {
      log.push({ event: 'train', step, loss: 8 / Math.sqrt(step / 250) });
      if (step % 1000 === 0 || step === 20_500)
        log.push({
          event: 'valid',
          step,
          validLoss: 6 / Math.sqrt(step / 1000),
          bleu: 30 * (1 - 1000 / (step + 1000)),
          chrf: 50 * (1 - 1000 / (step + 1000)),
        });
    }
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), log.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.info.corpora = [
      {
        name: 'Tatoeba sample',
        role: 'train',
        pairs: 1000,
        licence: 'CC-BY 2.0 FR',
        source: 'https://tatoeba.org',
      },
    ];
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
    service = await InProcessService.load(dir);
    const app = createApp({ pool: service, modelInfo: loadModelInfo(service.info) });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium(CHROMIUM);
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // CSP violations and script errors show up as console errors.
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  after(async function () {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await service?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('translates a typed sentence and shows one heatmap cell per (target word, source word) pair', async function () {
    await page.goto(base + '/');
    await page.fill('#text', 'The cat sleeps.');
    await page.selectOption('#beam', '3');
    await Promise.all([page.waitForURL(base + '/'), page.click('#submit')]);
    await page.waitForSelector('#translation');
    const translation = (await page.textContent('#translation'))?.trim() ?? '';
    expect(translation).to.not.equal('');
    const table = page.locator('#heatmap-words');
    await expect(await table.isVisible()).to.equal(true);
    const sourceWords = await table.locator('thead th.col-head').allTextContents();
    const targetWords = await table.locator('tbody th.row-head').allTextContents();
    expect(sourceWords.map((s) => s.trim())).to.deep.equal(['The', 'cat', 'sleeps.']);
    expect(targetWords.map((s) => s.trim())).to.deep.equal(translation.split(/\s+/));
    expect(await table.locator('td').count()).to.equal(sourceWords.length * targetWords.length);
    for (let i = 0; i < targetWords.length; i++) {
      for (let j = 0; j < sourceWords.length; j++) {
        expect(await table.locator(`td[data-r="${i}"][data-c="${j}"]`).count()).to.equal(1);
      }
    }
    expect(await page.isVisible('#heatmap-subwords')).to.equal(false);
    expect(await page.isVisible('#legend')).to.equal(true);
    expect(await page.textContent('#time-taken')).to.match(/^\d+ ms$/);
  });

  it('highlights the row and column of a hovered cell and shows its weight', async function () {
    const cell = page.locator('#heatmap-words td[data-r="0"][data-c="1"]');
    await cell.hover();
    expect(await cell.getAttribute('class')).to.include('is-active');
    const colHead = page.locator('#heatmap-words th[data-c="1"]');
    const rowHead = page.locator('#heatmap-words th[data-r="0"]');
    expect(await colHead.getAttribute('class')).to.include('is-hl');
    expect(await rowHead.getAttribute('class')).to.include('is-hl');
    const bg = await colHead.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(bg).to.equal('rgb(253, 230, 138)');
    const other = await page
      .locator('#heatmap-words th[data-c="0"]')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(other).to.not.equal(bg);
    const label = await cell.getAttribute('aria-label');
    expect(label).to.match(/^.+ ← cat: \d\.\d\d$/);
    expect(await page.textContent('#heatmap-readout')).to.equal(label);
  });

  it('moves between cells with the arrow keys and switches to the subword matrix', async function () {
    await page.locator('#heatmap-words td[data-r="0"][data-c="0"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-c'))).to.equal('1');
    expect(await page.locator('#heatmap-words th[data-c="1"]').getAttribute('class')).to.include('is-hl');
    await page.click('label[for="view-subwords"]');
    expect(await page.isVisible('#heatmap-subwords')).to.equal(true);
    expect(await page.isVisible('#heatmap-words')).to.equal(false);
    const last = await page.locator('#heatmap-subwords thead th.col-head').last().textContent();
    expect(last?.trim()).to.equal('</s>');
    await page.click('label[for="view-words"]');
    expect(await page.isVisible('#heatmap-words')).to.equal(true);
  });

  it('saves a screenshot to test-output/page.png', async function () {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    await page.mouse.move(0, 0);
    await page.locator('#heatmap-words td[data-r="0"][data-c="1"]').hover();
    await page.screenshot({ path: path.join(OUT_DIR, 'page.png'), fullPage: true });
    expect(fs.statSync(path.join(OUT_DIR, 'page.png')).size).to.be.greaterThan(10_000);
  });

  it('shows typed <script> as text: no dialog, no script element injected', async function () {
    let dialog = false;
    page.on('dialog', (d) => {
      dialog = true;
      void d.dismiss();
    });
    const xss = '<script>alert(1)</script>';
    await page.fill('#text', xss);
    await Promise.all([page.waitForURL(base + '/'), page.click('#submit')]);
    await page.waitForSelector('#source-text');
    expect(await page.textContent('#source-text')).to.equal(xss);
    expect(await page.inputValue('#text')).to.equal(xss);
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.getAttribute('src')));
    expect(scripts).to.deep.equal(['/app.js']);
    expect(dialog).to.equal(false);
  });

  it('checks a typed translation: per-word probabilities, heatmap, links and how they are made', async function () {
    await page.goto(base + '/');
    await Promise.all([page.waitForURL(base + '/check'), page.click('#tab-check')]);
    expect(await page.getAttribute('#tab-check', 'aria-current')).to.equal('page');
    await page.fill('#source', 'The cat sleeps on the sofa.');
    await page.fill('#target', 'El gato duerme en el sofá.');
    expect(await page.textContent('#target-counter')).to.equal('26 / 500');
    await Promise.all([page.waitForURL(base + '/check'), page.click('#submit')]);
    await page.waitForSelector('#check-result');
    const chips = page.locator('#word-probs li.wp:not(.wp-end)');
    expect(await chips.locator('.wp-word').allTextContents()).to.deep.equal([
      'El',
      'gato',
      'duerme',
      'en',
      'el',
      'sofá.',
    ]);
    for (const p of await chips.locator('.wp-p').allTextContents())
      expect(p).to.match(/^!?(<1|>99|\d{1,2})%$/);
    // Unlikely words stand out by more than colour: a "!" and a thicker border.
    const unlikely = page.locator('#word-probs li.wp-unlikely:not(.wp-end)');
    for (let i = 0; i < (await unlikely.count()); i++) {
      expect(await unlikely.nth(i).locator('.wp-flag').textContent()).to.equal('!');
      const bg = await unlikely.nth(i).evaluate((el) => getComputedStyle(el).backgroundColor);
      expect(bg).to.equal('rgb(253, 236, 236)');
    }
    expect(await page.textContent('#check-summary')).to.match(
      /No word is unlikely|\d+ of 6 words? (is|are) unlikely/,
    );
    const rows = await page.locator('#heatmap-words tbody th.row-head').allTextContents();
    expect(rows).to.deep.equal(['El', 'gato', 'duerme', 'en', 'el', 'sofá.']);
    expect(await page.locator('#heatmap-words thead th.col-head').count()).to.equal(6);
    expect(await page.locator('#links li').count()).to.equal(6);
    expect(await page.textContent('#link-method')).to.include(
      'linked to the input word that got the most attention',
    );
    expect(await page.textContent('#pharaoh')).to.match(/^(\d+-\d+ ?){6}$/);
    await page.screenshot({ path: path.join(OUT_DIR, 'check.png'), fullPage: true });
  });

  it('at 390 px: the matrix scrolls in its box, says so, keeps its labels in view, text ≥ 10 px', async function () {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await phone.goto(base + '/');
      await phone.fill('#text', 'The children were playing in the garden while their mother read a book.');
      await Promise.all([phone.waitForURL(base + '/'), phone.click('#submit')]);
      await phone.waitForSelector('#translation');
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
      const frame = phone.locator('#alignment .matrix-words [data-heatmap-frame]');
      expect(await frame.getAttribute('class')).to.include('is-scrollable');
      const hint = frame.locator('[data-scroll-hint]');
      expect(await hint.isVisible()).to.equal(true);
      const m = /(\d+) of (\d+) columns in view/.exec((await hint.textContent()) ?? '');
      expect(m, 'scroll hint names the columns in view').to.not.equal(null);
      expect(Number(m![2])).to.equal(13);
      expect(Number(m![1])).to.be.within(1, 12);
      await phone.locator('#alignment').screenshot({ path: path.join(OUT_DIR, 'page-390.png') });
      // Sticky labels: scroll the matrix sideways; the row labels stay at its left edge.
      const box = frame.locator('.heatmap-scroll');
      const rowHead = frame.locator('tbody th.row-head').first();
      expect(await rowHead.evaluate((el) => getComputedStyle(el).position)).to.equal('sticky');
      expect(
        await frame
          .locator('thead th.col-head')
          .first()
          .evaluate((el) => getComputedStyle(el).position),
      ).to.equal('sticky');
      const boxLeft = (await box.boundingBox())!.x;
      await box.evaluate((el) => {
        (el as unknown as El).scrollLeft = 10_000;
      });
      await phone.waitForTimeout(100);
      expect((await rowHead.boundingBox())!.x).to.be.closeTo(boxLeft, 1.5);
      expect(await frame.getAttribute('class')).to.include('at-end');
      await phone.locator('#alignment').screenshot({ path: path.join(OUT_DIR, 'page-390-scrolled.png') });
      expect(await smallestText(phone)).to.be.at.least(10);

      // The model page: the narrow charts, readable, their x axis ending at the data (20.5k steps).
      await phone.goto(base + '/model');
      expect(await phone.isVisible('#chart-loss-narrow')).to.equal(true);
      expect(await phone.isVisible('#chart-loss')).to.equal(false);
      expect(await smallestText(phone)).to.be.at.least(10);
      await expectAxisEndsAtData(phone, '#chart-loss-narrow');
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
      await phone.screenshot({ path: path.join(OUT_DIR, 'model-390.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('at 1280 px: the wide charts, text ≥ 10 px, axis ending at the data', async function () {
    const wide = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await wide.goto(base + '/model');
      expect(await wide.isVisible('#chart-loss')).to.equal(true);
      expect(await wide.isVisible('#chart-loss-narrow')).to.equal(false);
      expect(await smallestText(wide)).to.be.at.least(10);
      await expectAxisEndsAtData(wide, '#chart-loss');
      await wide.screenshot({ path: path.join(OUT_DIR, 'model-1280.png'), fullPage: true });
    } finally {
      await wide.close();
    }
  });

  it('shows the model page with the attribution its metadata records, and nothing broke the Content-Security-Policy', async function () {
    await page.goto(base + '/model');
    expect(await page.textContent('#parameters')).to.match(/^[\d,]+$/);
    expect(await page.textContent('#corpus')).to.include('Licence: CC-BY 2.0 FR');
    expect(await page.textContent('#footer-data')).to.equal('Trained on Tatoeba sample (CC-BY 2.0 FR).');
    expect(problems).to.deep.equal([]);
  });
});

/**
 * The smallest font size of visible text on the page, in CSS pixels as drawn: HTML text at its computed
 * size; SVG text at its size in user units times the drawing's scale (an SVG shrinks its text with it).
 */
function smallestText(p: Page): Promise<number> {
  return p.evaluate(() => {
    let min = Infinity;
    for (const el of document.querySelectorAll('body *')) {
      const ownText = Array.from(el.childNodes).some(
        (n) => n.nodeType === 3 && (n.textContent ?? '').trim() !== '',
      );
      if (!ownText || el.getClientRects().length === 0 || el.closest('.sr-only, title, desc')) continue;
      let size = parseFloat(getComputedStyle(el).fontSize);
      const svg = el.closest('svg');
      if (svg)
        size *= svg.getBoundingClientRect().width / Number((svg.getAttribute('viewBox') ?? '').split(' ')[2]);
      min = Math.min(min, size);
    }
    return min;
  });
}

/** The chart's line reaches the right end of its x axis, and the last tick is the last round step before it. */
async function expectAxisEndsAtData(p: Page, chart: string): Promise<void> {
  const ticks = await p.locator(`${chart} text.tick[text-anchor="middle"]`).allTextContents();
  expect(ticks[ticks.length - 1]).to.equal('20k');
  expect(ticks).not.to.include('25k');
  const axisEnd = Number(await p.locator(`${chart} line.axis`).getAttribute('x2'));
  const d = (await p.locator(`${chart} path.line.s1`).getAttribute('d')) ?? '';
  const lastX = Number(/([\d.]+),[\d.]+$/.exec(d)?.[1]);
  expect(lastX).to.be.closeTo(axisEnd, 0.5);
}
