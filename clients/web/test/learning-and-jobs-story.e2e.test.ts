import type { Browser } from 'playwright-core';
import {
  AddLessonDocument,
  AddModuleDocument,
  createAzoraClient,
  CreateCourseDocument,
  JobApplicationsDocument,
  PostJobDocument,
  PublishCourseDocument,
  VerifyCertificateDocument,
  ApplyToJobDocument,
  type AzoraClient,
} from '@azora/sdk';
import { startPlatform, until, type Platform } from '@azora/testing';
import { WEB_APP_SECURITY_HEADERS } from '../../../router/src/web-app';
import { ensureWebAppBuilt } from '../../../scripts/web-app-build';
import {
  cspViolations,
  DESKTOP,
  fitsWidth,
  launchBrowser,
  openSignedIn,
  PHONE,
  screenshots,
  signUpInBrowser,
  type BrowserPerson,
} from './support/browser';

/*
 * The course catalogue and the job board in a real browser, against the real router and subgraphs: a faculty member
 * publishes a course and an employer posts a job through the API (the SDK); people use the screens. Screenshots of
 * every step land in test-artifacts/learning-story/ and test-artifacts/jobs-story/ (git-ignored).
 */

describe('the course catalogue and the job board in a real browser', () => {
  let platform: Platform;
  let browser: Browser;
  let origin: string;
  const anonymous = () => createAzoraClient({ url: platform.routerUrl });
  const clientOf = (accessToken: string) => createAzoraClient({ url: platform.routerUrl, getToken: () => accessToken });

  beforeAll(async () => {
    await ensureWebAppBuilt();
    platform = await startPlatform({ dialect: 'sqlite', subgraphs: ['aegis', 'mint', 'lms', 'forge'] });
    origin = new URL(platform.routerUrl).origin;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('serves the app with a strict CSP and the other security headers, on pages and assets alike', async () => {
    const page = await fetch(`${origin}/courses`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const [name, value] of Object.entries(WEB_APP_SECURITY_HEADERS))
      expect({ name, value: page.headers.get(name) }).toEqual({ name, value });
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    // The build has nothing inline for the CSP to refuse: one module script and one stylesheet, both files.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script[^>]*src="([^"]+)"/.exec(html)![1]!;
    const asset = await fetch(`${origin}${script}`);
    expect({
      status: asset.status,
      csp: asset.headers.get('content-security-policy'),
      nosniff: asset.headers.get('x-content-type-options'),
    }).toEqual({
      status: 200,
      csp,
      nosniff: 'nosniff',
    });
    // The API keeps its own headers: the CSP is the app's.
    const api = await fetch(platform.routerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(api.headers.get('content-security-policy')).toBeNull();
  });

  it('has the browser enforce the CSP: an injected inline script does not run, and is reported', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const violations = await cspViolations(context);
    const page = await context.newPage();
    await page.goto(`${origin}/courses`);
    await page.getByRole('heading', { name: 'Course catalogue' }).waitFor();
    // What an injection would do: add a script element with inline code.
    await page.evaluate(
      `{ const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.append(s); }`,
    );
    await page.waitForFunction('window.injected === undefined');
    expect(await page.evaluate('window.injected')).toBeUndefined();
    await until('the violation is reported', async () => violations.length > 0);
    expect(violations[0]).toMatch(/^CSP violation: script-src(-elem)? inline$/);
    await context.close();
  });

  describe('the course catalogue', () => {
    const screenshot = screenshots('learning-story');
    let courseId: string;
    let learner: BrowserPerson;
    const title = `Reliable payments ${Date.now().toString(36)}`;
    const lessons = ['Money is a decimal string', 'Idempotency keys', 'Double-entry ledgers'];

    it('shows the course a faculty member published through the API, to anyone', async () => {
      const faculty = await platform.userWithRoles(['faculty'], 'Grace');
      const sdk = clientOf(faculty.accessToken);
      const { createCourse } = await sdk.mutate(CreateCourseDocument, {
        input: { title, summary: 'Move money without losing a cent.', level: 'INTERMEDIATE', skills: ['typescript'] },
      });
      courseId = createCourse.id;
      const { addModule: first } = await sdk.mutate(AddModuleDocument, { courseId, title: 'Amounts' });
      await sdk.mutate(AddLessonDocument, {
        moduleId: first.id,
        input: { title: lessons[0]!, content: 'Never a float.\nAlways a string.' },
      });
      const { addModule: second } = await sdk.mutate(AddModuleDocument, { courseId, title: 'Transfers' });
      for (const lesson of lessons.slice(1))
        await sdk.mutate(AddLessonDocument, {
          moduleId: second.id,
          input: { title: lesson, content: `All about ${lesson}.` },
        });
      await sdk.mutate(PublishCourseDocument, { id: courseId });

      // Signed out: the catalogue and the syllabus are public; enrolling asks to sign in.
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${origin}/`);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Courses' }).click();
      await page.getByRole('heading', { name: 'Course catalogue' }).waitFor();
      await page.getByRole('listitem', { name: title }).getByRole('link', { name: title }).click();
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'Syllabus' }).waitFor();
      await page.getByText('Idempotency keys').waitFor();
      await page.getByText('to enrol').waitFor();
      await screenshot(page, 'course-signed-out');
      await context.close();
    });

    it('lets a learner enrol (with the keyboard), complete lessons and watch the progress, at phone width', async () => {
      learner = await signUpInBrowser(browser, origin, 'Lin', PHONE);
      const { page } = learner;
      await page.getByRole('link', { name: 'Courses' }).click();
      await page.getByText('You are not enrolled in any course yet').waitFor();
      await page.getByRole('link', { name: title }).click();
      const enrol = page.getByRole('button', { name: 'Enrol in this course' });
      await enrol.focus();
      await page.keyboard.press('Enter');
      await page.getByText('0 of 3 lessons done (0%)').waitFor();
      // The button is gone; the focus went to what replaced it, not back to the top of the page.
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Your progress');
      // Enrolled: the lessons' content is shown now (it is for enrolled learners only).
      await page.getByText('Always a string.').waitFor();
      await screenshot(page, 'enrolled-phone');
      expect(await fitsWidth(page)).toBe(true);

      await page.getByRole('button', { name: `Mark “${lessons[0]}” as done` }).click();
      await page.getByText('1 of 3 lessons done (33%)').waitFor();
      await page.getByRole('listitem', { name: lessons[0] }).getByText('✓ Done').waitFor();
      expect(await page.evaluate('document.activeElement.textContent')).toBe('✓ Done');
      await screenshot(page, 'one-lesson-done-phone');
      await page.getByRole('button', { name: `Mark “${lessons[1]}” as done` }).click();
      await page.getByText('2 of 3 lessons done (67%)').waitFor();
    });

    it('keeps the progress across a reload and shows it in the catalogue', async () => {
      const { page } = learner;
      await page.reload();
      await page.getByText('2 of 3 lessons done (67%)').waitFor();
      await page.getByRole('link', { name: 'Course catalogue' }).click();
      await page
        .getByRole('region', { name: 'Your learning' })
        .getByRole('listitem', { name: title })
        .getByText('2 of 3 lessons done (67%)')
        .waitFor();
      await screenshot(page, 'catalogue-progress-phone');
      expect(await fitsWidth(page)).toBe(true);
    });

    it('issues the certificate with the last lesson, and anyone can check its code', async () => {
      const { page } = learner;
      await page.getByRole('region', { name: 'Your learning' }).getByRole('link', { name: title }).click();
      await page.getByRole('button', { name: `Mark “${lessons[2]}” as done` }).click();
      await page.getByText('3 of 3 lessons done (100%)').waitFor();
      const code = (await page.getByTestId('certificate-code').textContent())!.trim();
      await screenshot(page, 'certificate-phone');
      const { verifyCertificate } = await anonymous().query(VerifyCertificateDocument, { code });
      expect(verifyCertificate).toMatchObject({ code, courseTitle: title, learner: { displayName: 'Lin' } });
      expect(learner.violations).toEqual([]);
    });
  });

  describe('the job board', () => {
    const screenshot = screenshots('jobs-story');
    let employer: Awaited<ReturnType<Platform['userWithRoles']>>;
    let employerSdk: AzoraClient;
    let jobId: string;
    let applicant: BrowserPerson;
    const title = `Audit a ledger ${Date.now().toString(36)}`;
    const applicationsOf = async () =>
      (await employerSdk.query(JobApplicationsDocument, { id: jobId })).job?.applications ?? [];

    it('lists the job an employer posted through the API', async () => {
      employer = await platform.userWithRoles(['employer'], 'Katherine');
      employerSdk = clientOf(employer.accessToken);
      const { postJob } = await employerSdk.mutate(PostJobDocument, {
        input: {
          title,
          description: 'Check that every transfer balances.\nReport what does not.',
          skills: ['typescript'],
          budget: { amount: '450.00', currency: 'USD' },
        },
      });
      jobId = postJob.id;

      applicant = await signUpInBrowser(browser, origin, 'Mae', DESKTOP);
      const { page } = applicant;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
      await page.getByRole('heading', { name: 'Job board' }).waitFor();
      await page.getByText('You have not applied to a job yet.').waitFor();
      const card = page.getByRole('list', { name: 'Jobs' }).getByRole('listitem', { name: title });
      await card.getByText('Pays 450.00 USD').waitFor();
      await screenshot(page, 'job-board');
      await card.getByRole('link', { name: title }).click();
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.getByText('Report what does not.').waitFor();
    });

    it('answers an empty pitch with a readable error on the field, and records nothing', async () => {
      const { page } = applicant;
      const pitch = page.getByLabel('Why you fit this job');
      await pitch.fill('   ');
      await page.getByRole('button', { name: 'Send application' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Tell the employer why you fit the job, in 1 to 2,000 characters.' })
        .waitFor();
      expect(await pitch.getAttribute('aria-invalid')).toBe('true');
      expect(await pitch.getAttribute('aria-describedby')).toContain('apply-problem');
      await screenshot(page, 'empty-pitch');
      expect(await applicationsOf()).toEqual([]);
    });

    it('sends the application through the form and shows where it stands', async () => {
      const { page } = applicant;
      await page.getByLabel('Why you fit this job').fill('I reconcile ledgers for a living.');
      await page.getByRole('button', { name: 'Send application' }).click();
      await page.getByRole('heading', { name: 'Your application' }).waitFor();
      expect((await page.getByTestId('application-status').textContent())!.trim()).toBe('Waiting for the employer');
      await screenshot(page, 'applied');
      expect(await applicationsOf()).toMatchObject([
        { pitch: 'I reconcile ledgers for a living.', status: 'PENDING', applicant: { displayName: 'Mae' } },
      ]);

      await page.getByRole('link', { name: 'Job board' }).click();
      await page
        .getByRole('region', { name: 'Your applications' })
        .getByRole('listitem', { name: `Application to ${title}` })
        .getByText('Waiting for the employer')
        .waitFor();
      await screenshot(page, 'my-applications');
      expect(applicant.violations).toEqual([]);
    });

    it('shows the employer the applications to their job, a new one live', async () => {
      const { page, violations } = await openSignedIn(browser, `${origin}/jobs`, platform.routerUrl, employer, PHONE);
      // The page's live connection goes through Playwright, which holds the router's connection_ack back until the
      // page has been seen not claiming to be live while it waits for it.
      let ackArrived!: () => void;
      const ackHeld = new Promise<void>((resolve) => (ackArrived = resolve));
      let releaseAck!: () => void;
      const ackReleased = new Promise<void>((resolve) => (releaseAck = resolve));
      await page.routeWebSocket(/\/graphql$/, (ws) => {
        const router = ws.connectToServer();
        router.onMessage(async (message) => {
          if (typeof message === 'string' && (JSON.parse(message) as { type?: string }).type === 'connection_ack') {
            ackArrived();
            await ackReleased;
          }
          ws.send(message);
        });
      });
      const posted = page.getByRole('region', { name: 'Jobs you posted' }).getByRole('listitem', { name: title });
      await posted.getByText('Open · 1 application · pays 450.00 USD').waitFor();
      await posted.getByRole('link', { name: title }).click();
      const list = page.getByRole('region', { name: 'Applications to your job' });
      await list
        .getByRole('listitem', { name: 'Application from Mae' })
        .getByText('I reconcile ledgers for a living.')
        .waitFor();
      try {
        await ackHeld; // the router accepted the connection; the page has not heard so yet
        await page.getByText('Connecting to live updates…').waitFor();
        expect(await page.getByText('Live: new applications appear here as they arrive.').count()).toBe(0);
      } finally {
        releaseAck();
      }
      // Live once the SDK has the acknowledgement, and only then is the other person's application sent.
      await page.getByText('Live: new applications appear here as they arrive.').waitFor();
      expect(await fitsWidth(page)).toBe(true);

      const other = await platform.signUp('Ned');
      await clientOf(other.accessToken).mutate(ApplyToJobDocument, { jobId, pitch: 'I can start tomorrow.' });
      // The page was not reloaded: the jobApplications subscription brought it.
      await list.getByRole('listitem', { name: 'Application from Ned' }).getByText('I can start tomorrow.').waitFor();
      await screenshot(page, 'employer-applications-phone');
      expect(violations).toEqual([]);
      await page.context().close();
    });

    it('pages the open jobs by cursor: "Show more jobs" goes on past the 100 rows a page holds at most', async () => {
      // With the job above, 101 open jobs; the board lists them oldest first, so the last one posted is the 101st.
      const batch = (n: number) => `Batch job ${n} ${title}`;
      for (let n = 1; n <= 100; n++) {
        await employerSdk.mutate(PostJobDocument, {
          input: {
            title: batch(n),
            description: 'More ledgers to check.',
            skills: ['typescript'],
            budget: { amount: '10.00', currency: 'USD' },
          },
        });
      }
      const { page } = applicant;
      // Every page the board asks for: the variables it sent and what came back.
      const pages: { first: unknown; after: unknown; rows: number; hasNextPage: boolean; endCursor: string | null }[] =
        [];
      page.on('response', async (response) => {
        const sent = response.request().postDataJSON() as {
          operationName?: string;
          variables?: { first?: unknown; after?: unknown };
        } | null;
        if (sent?.operationName !== 'Jobs') return;
        const { jobs } = (
          (await response.json()) as {
            data: { jobs: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
          }
        ).data;
        pages.push({
          first: sent.variables?.first,
          after: sent.variables?.after ?? null,
          rows: jobs.edges.length,
          ...jobs.pageInfo,
        });
      });
      await page.goto(`${origin}/jobs`);
      const cards = page.getByRole('list', { name: 'Jobs' }).locator('li.card');
      await cards.nth(19).waitFor();
      expect(await cards.count()).toBe(20);
      const more = page.getByRole('button', { name: 'Show more jobs' });
      // Which card holds the keyboard focus (page.evaluate: the CSP forbids waitForFunction's string evaluation).
      const focusedCard = () =>
        page.evaluate(
          `[...document.querySelectorAll('ul.cards[aria-label="Jobs"] > li.card')].indexOf(document.activeElement.closest('li'))`,
        ) as Promise<number>;
      for (let shown = 20; shown < 101; shown += 20) {
        await more.click();
        await cards.nth(Math.min(shown + 20, 101) - 1).waitFor();
        // The button is gone with the click: the keyboard focus goes to the first new card's link instead.
        await until(`the focus on card ${shown + 1}`, async () => (await focusedCard()) === shown);
      }
      await page
        .getByRole('list', { name: 'Jobs' })
        .getByRole('listitem', { name: batch(100), exact: true })
        .waitFor();
      expect({ cards: await cards.count(), more: await more.count() }).toEqual({ cards: 101, more: 0 });
      await screenshot(page, 'job-board-101-jobs');
      // Each page after the first was asked for after the previous one's endCursor, 20 rows at a time.
      await until('the six pages answered', async () => pages.length >= 6);
      const chain: typeof pages = [];
      for (let after: string | null = null; ;) {
        const next = pages.find((p) => p.after === after);
        if (!next) break;
        chain.push(next);
        if (!next.hasNextPage) break;
        after = next.endCursor;
      }
      expect(chain.map(({ first, rows }) => ({ first, rows }))).toEqual([
        ...Array(5).fill({ first: 20, rows: 20 }),
        { first: 20, rows: 1 },
      ]);
      expect(pages).toHaveLength(6);
      expect(applicant.violations).toEqual([]);
    });
  });
});
