/**
 * The bot in a real Teams-like client: local mode (`npm start`) + the Microsoft 365 Agents Playground as the
 * Bot Connector and chat UI, driven in Debian's headless chromium like a person would: `request` → form → submit.
 *
 * Screenshots go to docs/playground/ when they are missing or when UPDATE_SCREENSHOTS=1, so CI runs do not
 * change the repo. Needs /usr/bin/chromium (`apt-get install -y chromium fonts-noto-cjk`; .ci/run installs it).
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { createLogger } from '../../src/logger';
import { card, requireChromium, say, startBrowser, startPlayground, type Browser, type Playground } from './playgroundSupport';

const ROOT = resolve(__dirname, '../..');
const SCREENSHOTS = join(ROOT, 'docs/playground');
const WAIT = { timeout: 60_000 };

/** Writes a screenshot of the page only when it is missing or UPDATE_SCREENSHOTS=1. */
async function screenshot(browser: Browser, name: string): Promise<void> {
  const path = join(SCREENSHOTS, name);
  if (existsSync(path) && process.env.UPDATE_SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOTS, { recursive: true });
  await browser.page.screenshot({ path, animations: 'disabled', caret: 'hide' });
}

describe('e2e: the Microsoft 365 Agents Playground (a Teams-like client in headless chromium)', function () {
  this.timeout(180_000);
  let dataDir: string | undefined;
  let app: RunningApp | undefined;
  let playground: Playground | undefined;
  let browser: Browser | undefined;

  before(async () => {
    requireChromium();
    dataDir = await mkdtemp(join(tmpdir(), 'bot-data-'));
    app = await startApp(loadConfig({ PORT: '0', DATA_DIR: dataDir }), createLogger('silent'), { sweepIntervalInMs: 3_600_000 });
    playground = await startPlayground({ botUrl: app.url, configPath: join(ROOT, '.m365agentsplayground.yml') });
    browser = await startBrowser();
    browser.page.setDefaultTimeout(60_000);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !browser) return;
    const path = join(tmpdir(), `playground-failure-${Date.now()}.png`);
    await browser.page.screenshot({ path }).catch(() => undefined);
    console.error(`The Playground page at the failure: ${path}\nThe Playground's output:\n${playground?.output() ?? ''}`);
  });

  after(async () => {
    // Each step runs even if one before it failed, so nothing is left running.
    for (const step of [
      () => browser?.stop(),
      () => playground?.stop(),
      () => app?.stop(),
      () => (dataDir ? rm(dataDir, { recursive: true, force: true }) : undefined),
    ]) {
      await Promise.resolve()
        .then(step)
        .catch((err) => console.error('clean-up step failed:', err));
    }
  });

  it('request → form → choose CRM users, justify, submit → the card shows the submitted request; status lists it pending', async () => {
    const { page } = browser!;
    await page.goto(playground!.url);
    // The Playground installs the bot for Adele (its configured current user); the bot answers with its help card.
    await card(page, 'What I can do').waitFor(WAIT);

    await say(page, 'request');
    const form = card(page, 'Request access');
    await form.waitFor(WAIT);
    const formText = await form.innerText();
    for (const text of ['Access package', 'CRM users', 'Sales team', 'Finance reports', 'Submit request']) {
      assert.ok(formText.includes(text), `the form card should show "${text}":\n${formText}`);
    }

    await form.getByRole('combobox', { name: 'Access package' }).click();
    await page.getByRole('option', { name: 'CRM users' }).click();
    const justification = 'Preparing the Q3 pipeline review with the sales team';
    await form.getByPlaceholder('Why do you need this access?').fill(justification);
    assert.equal(await form.getByRole('combobox', { name: 'Access package' }).inputValue(), 'CRM users');
    await screenshot(browser!, 'request-form.png');

    await form.getByRole('button', { name: 'Submit request' }).click();
    // The bot replaces the form with the request's status card (the Action.Execute answer), and updates that
    // card once the approval stage has started (its effects run after the answer).
    await card(page, 'Your request for CRM users').waitFor(WAIT);
    await app!.effects.idle();
    const submitted = card(page, 'Your request for CRM users').filter({ hasText: 'Pending approval' });
    await submitted.waitFor(WAIT);
    const submittedText = await submitted.innerText();
    for (const text of ['Pending approval', 'CRM users', justification, 'Stage 1 of 1', 'Waiting for a decision']) {
      assert.ok(submittedText.includes(text), `the submitted card should show "${text}":\n${submittedText}`);
    }
    assert.equal(await page.locator('.ac-adaptiveCard').filter({ hasText: 'Submit request' }).count(), 0, 'the form was replaced, not left to be submitted twice');
    await screenshot(browser!, 'request-submitted.png');

    // The request is stored: a second command, read back from the bot's storage, lists it.
    await say(page, 'status');
    const status = card(page, 'Your access and requests');
    await status.waitFor(WAIT);
    await status.getByText('Pending approval').first().waitFor(WAIT);
    const statusText = await status.innerText();
    assert.ok(statusText.includes('CRM users'), `status should list the CRM users request:\n${statusText}`);
    assert.ok(statusText.includes('Pending approval'), `status should show the request pending approval:\n${statusText}`);
  });
});
