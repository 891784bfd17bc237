import type { Browser, Page } from 'playwright-core';
import {
  AccountDocument,
  AccountEntriesDocument,
  createAzoraClient,
  DepositDocument,
  MeDocument,
  UsersDocument,
  type AzoraClient,
} from '@azora/sdk';
import { startPlatform, type Platform } from '@azora/testing';
import { ensureWebAppBuilt } from '../../../scripts/web-app-build';
import {
  DESKTOP,
  fitsWidth,
  launchBrowser,
  openSignedIn,
  PHONE,
  screenshots,
  signUpInBrowser,
} from './support/browser';

/*
 * The web app as a person uses it: Debian's Chromium, driven by playwright-core, against the real router (which serves
 * the built app at /) and the real subgraphs. Screenshots of every step land in test-artifacts/web-story/ (git-ignored).
 */

interface Person {
  name: string;
  email: string;
  page: Page;
  accountId: string;
  violations: string[];
}

describe('the web app in a real browser', () => {
  let platform: Platform;
  let browser: Browser;
  let origin: string;
  let treasury: AzoraClient;
  let a: Person;
  let b: Person;
  const screenshot = screenshots('web-story');
  /** An account's balance, asked of the ledger (as treasury), not of the page under test. */
  const balance = async (accountId: string) =>
    (await treasury.query(AccountDocument, { id: accountId })).account?.balance.amount;
  const entryCount = async (accountId: string) =>
    (await treasury.query(AccountEntriesDocument, { accountId, first: 100 })).account?.entries.edges.length;
  const balanceOnPage = (person: Person, amount: string) =>
    person.page.getByTestId(`balance-${person.accountId}`).filter({ hasText: `${amount} USD` });

  beforeAll(async () => {
    // The router serves clients/web/dist; build it first if the sources changed since the last build.
    await ensureWebAppBuilt();
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'forge'] });
    origin = new URL(platform.routerUrl).origin;
    const { accessToken } = await platform.userWithRoles(['treasury'], 'treasurer');
    treasury = createAzoraClient({ url: platform.routerUrl, getToken: () => accessToken });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  /** A new browser profile signs up through the form and opens a USD account. */
  async function signUp(name: string, viewport: { width: number; height: number }): Promise<Person> {
    const { email, page, violations } = await signUpInBrowser(browser, origin, name, viewport);
    await page.getByText('You have no account yet').waitFor();
    await page.getByLabel('Currency').selectOption('USD');
    await page.getByRole('button', { name: 'Open account' }).click();
    const card = page.getByRole('listitem', { name: 'USD account' });
    await card.waitFor();
    const accountId = (await card.locator('code').textContent())!.trim();
    return { name, email, page, accountId, violations };
  }

  it('signs up two people in the app, each with a USD account', async () => {
    a = await signUp('Ada', DESKTOP);
    await screenshot(a.page, 'a-signed-up');
    b = await signUp('Bob', PHONE);
    await screenshot(b.page, 'b-signed-up-phone');
    expect(await fitsWidth(b.page)).toBe(true);
    expect(a.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.accountId).not.toBe(a.accountId);
    expect(await balance(a.accountId)).toBe('0.00');
  });

  it('shows the money the treasury deposited for A through the API', async () => {
    await treasury.mutate(DepositDocument, {
      input: { accountId: a.accountId, amount: '100.00', idempotencyKey: `story-${a.accountId}`, memo: 'Salary' },
    });
    await a.page.reload(); // the deposit came from outside the page; the session survives the reload
    await balanceOnPage(a, '100.00').waitFor();
    await a.page.getByRole('listitem').filter({ hasText: 'Deposit' }).filter({ hasText: '+100.00 USD' }).waitFor();
    await screenshot(a.page, 'a-funded');
  });

  it('lets A send B money through the form', async () => {
    await b.page.getByText('No activity yet.').waitFor(); // B's wallet is open, before the payment
    await b.page.getByText('Live: new payments appear here as they happen.').waitFor(); // and its live connection accepted
    await a.page.getByLabel("Recipient's account number").fill(b.accountId);
    await a.page.getByLabel('Amount (USD)').fill('25.00');
    await a.page.getByLabel('Note (optional)').fill('Thanks for lunch');
    await a.page.getByRole('button', { name: 'Send money' }).click();
    await a.page
      .getByRole('status')
      .filter({ hasText: `Sent 25.00 USD to account ${b.accountId}.` })
      .waitFor();
    await balanceOnPage(a, '75.00').waitFor();
    await a.page
      .getByRole('listitem')
      .filter({ hasText: `Sent to ${b.accountId}` })
      .filter({ hasText: '−25.00 USD' })
      .waitFor();
    await screenshot(a.page, 'a-sent');
    expect([await balance(a.accountId), await balance(b.accountId)]).toEqual(['75.00', '25.00']);
  });

  // B's page has not been reloaded since before the payment, and the app never polls: only the subscription can pass this.
  it("shows the payment on B's open wallet page live, without a reload", async () => {
    await b.page
      .getByRole('listitem')
      .filter({ hasText: `Received from ${a.accountId}` })
      .filter({ hasText: '+25.00 USD' })
      .waitFor();
    await b.page.getByText('Thanks for lunch').waitFor();
    await balanceOnPage(b, '25.00').waitFor();
    await screenshot(b.page, 'b-received-live');
  });

  it("shows the payment on B's wallet page after a reload", async () => {
    await b.page.reload();
    await b.page
      .getByRole('listitem')
      .filter({ hasText: `Received from ${a.accountId}` })
      .filter({ hasText: '+25.00 USD' })
      .waitFor();
    await b.page.getByText('Thanks for lunch').waitFor();
    await balanceOnPage(b, '25.00').waitFor();
    await screenshot(b.page, 'b-received-phone');
  });

  it('answers a bad amount with a readable error and moves nothing', async () => {
    const before = {
      balances: [await balance(a.accountId), await balance(b.accountId)],
      entries: await entryCount(a.accountId),
    };
    const attempt = async (amount: string, message: string, step: string) => {
      await a.page.getByLabel("Recipient's account number").fill(b.accountId);
      await a.page.getByLabel('Amount (USD)').fill(amount);
      await a.page.getByRole('button', { name: 'Send money' }).click();
      const alert = a.page.getByRole('alert').filter({ hasText: message });
      await alert.waitFor();
      // The field is marked invalid and described by the message, for screen readers too.
      expect(await a.page.getByLabel('Amount (USD)').getAttribute('aria-invalid')).toBe('true');
      expect(await a.page.getByLabel('Amount (USD)').getAttribute('aria-describedby')).toContain('transfer-problem');
      await screenshot(a.page, step);
    };
    // Refused by the ledger (BAD_USER_INPUT) and shown in words.
    await attempt('10.005', 'Check the amount: USD amounts have at most 2 decimal places.', 'bad-amount-decimals');
    await attempt('0', 'Check the amount: An amount must be greater than zero.', 'bad-amount-zero');
    // More than the account holds (INSUFFICIENT_FUNDS).
    await attempt(
      '75.01',
      'Not enough money: your USD account holds 75.00 USD. Send less, or add money first.',
      'insufficient-funds',
    );
    // Not a number at all: the form says so before anything is sent.
    await attempt('ten', 'Enter the amount as a number, like 12.50.', 'bad-amount-not-a-number');

    expect({
      balances: [await balance(a.accountId), await balance(b.accountId)],
      entries: await entryCount(a.accountId),
    }).toEqual(before);
    await balanceOnPage(a, '75.00').waitFor();
  });

  it('lets an admin grant a role and create an API key that works', async () => {
    const admin = await platform.admin();
    const { me } = await createAzoraClient({ url: platform.routerUrl, getToken: () => admin.accessToken }).query(
      MeDocument,
    );
    const { page, violations } = await openSignedIn(browser, `${origin}/admin`, platform.routerUrl, admin);
    await page.getByRole('heading', { name: 'Users and roles' }).waitFor();

    const bob = page.getByRole('listitem', { name: 'Bob' });
    await bob.getByLabel('Grant a role to Bob').selectOption('treasury');
    await bob.getByRole('button', { name: 'Grant' }).click();
    await bob.getByRole('list', { name: 'Roles of Bob' }).getByText('treasury').waitFor();
    const { users } = await createAzoraClient({ url: platform.routerUrl, getToken: () => admin.accessToken }).query(
      UsersDocument,
      { first: 100 },
    );
    expect(users.edges.find((e) => e.node.email === b.email)?.node.roles).toContain('treasury');

    await page.getByLabel('Name').fill('story device');
    await page.getByLabel('Scopes').fill('wallet:read');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('api-key-secret').textContent())!.trim();
    await page.getByRole('listitem', { name: 'API key story device' }).waitFor();
    await screenshot(page, 'admin');
    const device = createAzoraClient({ url: platform.routerUrl, apiKey: secret });
    expect((await device.query(MeDocument)).me?.id).toBe(me?.id);
    expect(violations).toEqual([]);
    await page.context().close();
  });

  it('ran every page under the strict Content-Security-Policy without a violation', () => {
    expect([...a.violations, ...b.violations]).toEqual([]);
  });
});
