// Takes screenshots of the built page for a person to look at:
//   node tests/e2e/screenshot.mjs build/wasm/web out.png [scale] [json-config]
import { serve, launch, openPage, ready } from './harness.mjs';

const [dir, out, scale = '1', config] = process.argv.slice(2);
const server = await serve(dir);
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, server.url, { scale: Number(scale) });
  await ready(page);
  if (config) console.log(await page.evaluate((c) => window.playground.setConfig(JSON.parse(c)), config));
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  if (errors.length) console.log(errors.join('\n'));
} finally {
  await browser.close();
  await server.close();
}
