/**
 * npm run screenshots -- [--model models/eng-spa] [--text "..."] [--out docs] [--check "source<TAB>translation"]
 * Serves the app on a loopback port with the given model and saves, with Debian's Chromium (driven by
 * playwright-core), the translate page with a translation and its alignment (docs/page.png), the model
 * page's training curves (docs/model-page.png): the pictures in the README and the model card; and the
 * "Check a translation" page for a given pair (check-page.png), and the translate and model pages at
 * 390 px (page-phone.png, model-page-phone.png).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { launchChromium } from '../util/chromium.js';
import { createApp } from '../server/app.js';
import { loadModelInfo } from '../server/model-info.js';
import { InProcessService } from '../server/service.js';

const program = new Command()
  .name('screenshots')
  .option('--model <dir>', 'model directory', 'models/eng-spa')
  .option('--text <s>', 'sentence to translate', 'The children are playing in the garden.')
  .option('--out <dir>', 'output folder', 'docs')
  .option(
    '--check <pair>',
    'source and a translation to check, separated by a tab',
    'The children are playing in the garden.\tLos niños juegan en el jardín.',
  )
  .option('--phone', 'also save the translate and model pages at 390 px')
  .option('--curves <file>', "also save the model page's training curves alone to this PNG")
  .option('--chromium <path>', 'Chromium executable', '/usr/bin/chromium');

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    text: string;
    out: string;
    chromium: string;
    curves?: string;
    check: string;
    phone?: boolean;
  }>();
  const [checkSource, checkTarget] = o.check.split('\t');
  if (!checkTarget) throw new Error('--check needs "source<TAB>translation"');
  if (!fs.existsSync(o.chromium)) throw new Error(`${o.chromium} not found (apt-get install -y chromium)`);
  fs.mkdirSync(o.out, { recursive: true });
  const service = await InProcessService.load(o.model);
  const server = createApp({ pool: service, modelInfo: loadModelInfo(service.info) }).listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(o.chromium);
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(base + '/');
    await page.fill('#text', o.text);
    await Promise.all([page.waitForURL(base + '/'), page.click('#submit')]);
    await page.waitForSelector('#translation');
    await page.screenshot({ path: path.join(o.out, 'page.png'), fullPage: true });
    await page.goto(base + '/model');
    await page.screenshot({ path: path.join(o.out, 'model-page.png'), fullPage: true });
    if (o.curves) await page.locator('#curves').screenshot({ path: o.curves });
    await page.goto(base + '/check');
    await page.fill('#source', checkSource);
    await page.fill('#target', checkTarget);
    await Promise.all([page.waitForURL(base + '/check'), page.click('#submit')]);
    await page.waitForSelector('#check-result');
    await page.screenshot({ path: path.join(o.out, 'check-page.png'), fullPage: true });
    const saved = ['page.png', 'model-page.png', 'check-page.png'];
    if (o.phone) {
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
      await phone.goto(base + '/');
      await phone.fill('#text', o.text);
      await Promise.all([phone.waitForURL(base + '/'), phone.click('#submit')]);
      await phone.waitForSelector('#translation');
      await phone.screenshot({ path: path.join(o.out, 'page-phone.png'), fullPage: true });
      await phone.goto(base + '/model');
      await phone.screenshot({ path: path.join(o.out, 'model-page-phone.png'), fullPage: true });
      saved.push('page-phone.png', 'model-page-phone.png');
    }
    process.stderr.write(`saved ${saved.map((f) => path.join(o.out, f)).join(', ')}\n`);
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
    await service.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`screenshots: ${err.message}\n`);
  process.exit(1);
});
