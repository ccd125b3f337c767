/**
 * The translate page in a real browser (headless Chromium through playwright-core), served on a loopback
 * port with a tiny untrained model: type, submit, read the translation and the heatmap, hover a cell,
 * try script injection, and save a screenshot to test-output/page.png.
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
import { createApp, loadModelInfo } from '../src/server/app.js';
import { InProcessService } from '../src/server/pool.js';
import { makeTinyModel } from './helpers/tiny-model.js';

// Functions passed to page.evaluate run in the browser; the project's `lib` has no DOM types.
declare const document: {
  activeElement: { getAttribute(name: string): string | null } | null;
  documentElement: { scrollWidth: number };
  scripts: Iterable<{ getAttribute(name: string): string | null }>;
};
declare function getComputedStyle(el: unknown): { backgroundColor: string };

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

  it('renders on a phone: the matrix scrolls inside its box, not the page', async function () {
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true });
    try {
      await phone.goto(base + '/');
      await phone.fill('#text', 'The guests are hungry after the trip.');
      await Promise.all([phone.waitForURL(base + '/'), phone.click('#submit')]);
      await phone.waitForSelector('#translation');
      const pageWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect(pageWidth).to.be.at.most(375);
      await phone.screenshot({ path: path.join(OUT_DIR, 'page-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('shows the model page, and nothing broke the Content-Security-Policy', async function () {
    await page.goto(base + '/model');
    expect(await page.textContent('#parameters')).to.match(/^[\d,]+$/);
    expect(await page.textContent('#corpus')).to.include('CC-BY 2.0 FR');
    expect(problems).to.deep.equal([]);
  });
});
