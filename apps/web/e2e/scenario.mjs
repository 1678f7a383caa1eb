// The issue-8 story, step by step: admin makes a user; the user signs in, imports an account,
// makes and copies a key; a request with it shows in their logs and chart; each person sees
// only what they may; every page is captured for both roles at both widths.
import { join } from 'node:path';
import { newPersonPage, PHONE, screenshotDir, screenshotPages, settle, WIDE } from './lib/browser.mjs';
import { assert } from './lib/harness.mjs';
import { ADMIN_PASSWORD } from './lib/stack.mjs';
import { authJsonFile, createUserInBrowser, requestWithKey, secondUserThroughApi } from './steps/people.mjs';
import { ApiSession } from './lib/api-client.mjs';
import { addIdentityProvider, signInWithProvider, startIdentityProvider } from './steps/oidc.mjs';
import { changeFirstPassword, checkLoginTabOrder, signIn, signInWithKeyboard } from './steps/sign-in.mjs';
import {
  addMemberById,
  createGroup,
  createGroupKey,
  explainKey,
  previewRemoval,
  shareAccountIntoGroup,
  waitForGroupUsage,
} from './steps/groups.mjs';
import {
  READ_ONLY_ROLE,
  adminResetsTotp,
  auditPageWorks,
  createRoleInBrowser,
  createUserWithRole,
  deniedEventListed,
  deniedThroughApi,
  enrolTotp,
  roleHoldersInclude,
  signInWithSecondFactor,
  signOut,
  viewerSeesNoWriteControls,
} from './steps/governance.mjs';
import { adminSeesBothAndFilters, userSeesNoUsersPage, userSeesOnlyOwnRows } from './steps/visibility.mjs';
import { checkLogDetail, checkUsageChart, createAndCopyKey, importAccount, waitForLogRow } from './steps/workspace.mjs';

const PAGES = [
  '/overview',
  '/accounts',
  '/api-keys',
  '/usage',
  '/request-logs',
  '/groups',
  '/service-accounts',
  '/users',
  '/roles',
  '/audit',
  '/settings',
];
const MODEL = 'gpt-5.1-codex';

export async function runScenario({ harness, stack, browser, webRoot }) {
  const { step } = harness;
  const shots = screenshotDir(webRoot);
  const alice = {
    username: 'alice',
    firstPassword: 'alice-first-1',
    password: 'alice-chosen-2',
    email: 'alice@example.test',
    keyName: 'alice laptop',
  };
  const bob = {
    username: 'bob',
    firstPassword: 'bob-first-1',
    password: 'bob-chosen-2',
    email: 'bob@example.test',
    keyName: 'bob desktop',
  };
  const admin = await newPersonPage(browser, stack.webUrl);
  const user = await newPersonPage(browser, stack.webUrl);
  const shot = async (page, name, sizes = [WIDE, PHONE]) => {
    for (const size of sizes) {
      await page.setViewportSize(size);
      await settle(page);
      await page.screenshot({ path: join(shots, `${name}-${size.width}.png`), fullPage: true });
    }
    await page.setViewportSize(WIDE);
  };

  await step('login page: Tab reaches username, password, then Sign in', async () => {
    await checkLoginTabOrder(admin);
    await shot(admin, 'anonymous-login');
  });

  await step('admin signs in with the keyboard only', async () => {
    await signInWithKeyboard(admin, 'admin', ADMIN_PASSWORD);
    await admin.waitForURL('**/overview');
  });

  await step('admin creates a user', () => createUserInBrowser(admin, alice.username, alice.firstPassword), {
    requires: ['admin signs in with the keyboard only'],
  });

  let bobData;
  await step('a second user with an account, a key and a request (through the API)', async () => {
    bobData = await secondUserThroughApi(stack, { adminPassword: ADMIN_PASSWORD, ...bob });
    await requestWithKey(stack, bobData.key, 'hello from bob');
  });

  await step(
    'the user signs in and must choose a new password first',
    async () => {
      await signIn(user, alice.username, alice.firstPassword);
      await user.waitForURL('**/change-password');
      await shot(user, 'user-change-password');
      await changeFirstPassword(user, alice.firstPassword, alice.password);
      await user.waitForURL('**/overview');
    },
    { requires: ['admin creates a user'] },
  );

  const signedIn = 'the user signs in and must choose a new password first';
  await step(
    'the user imports an account by uploading auth.json',
    async () => {
      await importAccount(user, await authJsonFile(stack, alice.email), alice.email);
    },
    { requires: [signedIn] },
  );

  let key;
  await step(
    'the user creates a key and copies it (sk-clb-…)',
    async () => {
      key = await createAndCopyKey(user, alice.keyName, { screenshot: () => shot(user, 'user-api-key-created') });
    },
    { requires: [signedIn] },
  );

  const made = 'the user creates a key and copies it (sk-clb-…)';
  await step(
    'a request with that key goes through the proxy to the fake upstream',
    async () => {
      const answer = await requestWithKey(stack, key, 'hello from the browser test');
      assert(/hello from the browser test/.test(answer.choices[0].message.content), 'the fake did not echo the prompt');
    },
    { requires: [made, 'the user imports an account by uploading auth.json'] },
  );

  const proxied = 'a request with that key goes through the proxy to the fake upstream';
  await step(
    "the request appears in the user's request logs, with details",
    async () => {
      const row = await waitForLogRow(user, alice.keyName);
      await checkLogDetail(user, row, { model: MODEL, route: '/v1/chat/completions' });
    },
    { requires: [proxied] },
  );

  await step("the request appears in the user's usage chart", () => checkUsageChart(user, MODEL), {
    requires: [proxied],
  });

  await step('the user has no Users nav item, and /users says "not allowed"', () => userSeesNoUsersPage(user), {
    requires: [signedIn],
  });

  await step(
    "the user sees none of the other user's accounts, keys or logs",
    () => userSeesOnlyOwnRows(user, { mine: alice, theirs: bob, theirAccountId: bobData.account.id }),
    {
      requires: [proxied, 'a second user with an account, a key and a request (through the API)'],
    },
  );

  await step(
    "the admin sees both users' data and filters by owner",
    () => adminSeesBothAndFilters(admin, { alice, bob }),
    {
      requires: [proxied, 'a second user with an account, a key and a request (through the API)'],
    },
  );

  // Issue 15: a team pools an account through a group and routes a key through it.
  const team = { name: 'Platform team', slug: 'platform-team', keyName: 'alice team key' };
  const accountImported = 'the user imports an account by uploading auth.json';
  const bobReady = 'a second user with an account, a key and a request (through the API)';
  let groupId;
  await step(
    'the user creates a group and becomes its owner',
    async () => {
      groupId = await createGroup(user, team.name, team.slug);
    },
    { requires: [signedIn] },
  );

  const grouped = 'the user creates a group and becomes its owner';
  await step(
    'the group owner adds a member by user id, and sees the impact preview before a removal',
    async () => {
      await addMemberById(user, { principalId: bobData.user.id, username: bob.username, role: 'member' });
      await previewRemoval(user, bob.username);
    },
    { requires: [grouped, bobReady] },
  );

  await step('the owner shares their account into the group', () => shareAccountIntoGroup(user, alice.email), {
    requires: [grouped, accountImported],
  });

  let teamKey;
  await step(
    'the user creates a key attached to the group; its explainer lists the shared account',
    async () => {
      teamKey = await createGroupKey(user, team.keyName, team.name);
      await explainKey(user, team.keyName, { email: alice.email, groupName: team.name });
    },
    { requires: [grouped, 'the owner shares their account into the group'] },
  );

  const teamKeyMade = 'the user creates a key attached to the group; its explainer lists the shared account';
  await step(
    'a request with the group key is served through the proxy',
    async () => {
      const answer = await requestWithKey(stack, teamKey, 'hello from the platform team');
      assert(/platform team/.test(answer.choices[0].message.content), 'the fake did not echo the prompt');
    },
    { requires: [teamKeyMade] },
  );

  await step(
    "the request appears in the group's usage",
    async () => {
      await waitForGroupUsage(user, groupId, team.keyName);
      await shot(user, 'user-group-detail');
      await user.goto('/groups');
      await shot(user, 'user-groups');
    },
    { requires: ['a request with the group key is served through the proxy'] },
  );

  // Issue 16: a custom read-only role, what its holder sees, two-factor sign-in, the audit log.
  const vera = { username: 'vera', firstPassword: 'vera-first-1', password: 'vera-chosen-2' };
  const viewer = await newPersonPage(browser, stack.webUrl);
  const adminIn = 'admin signs in with the keyboard only';
  await step(
    'the admin creates a custom read-only role on the Roles page',
    async () => {
      await createRoleInBrowser(admin, READ_ONLY_ROLE);
      await shot(admin, 'admin-roles');
      await admin.getByRole('button', { name: `Holders of ${READ_ONLY_ROLE.name}` }).waitFor();
    },
    { requires: [adminIn] },
  );

  const roleMade = 'the admin creates a custom read-only role on the Roles page';
  await step(
    'the admin assigns the role to a new user; the Roles page counts them as its holder',
    async () => {
      await createUserWithRole(admin, {
        username: vera.username,
        password: vera.firstPassword,
        role: READ_ONLY_ROLE.slug,
      });
      await roleHoldersInclude(admin, READ_ONLY_ROLE, vera.username);
    },
    { requires: [roleMade] },
  );

  const veraMade = 'the admin assigns the role to a new user; the Roles page counts them as its holder';
  await step(
    'a read-only user sees every page of their menu and no write control on any',
    async () => {
      await signIn(viewer, vera.username, vera.firstPassword);
      await viewer.waitForURL('**/change-password');
      await changeFirstPassword(viewer, vera.firstPassword, vera.password);
      await viewer.waitForURL('**/overview');
      await viewerSeesNoWriteControls(viewer, {
        extraPaths: groupId ? [`/groups/${groupId}`] : [],
        expectTitles: ['Accounts', 'API keys', 'Users', 'Roles', 'Audit log', 'Groups', 'Service accounts'],
      });
    },
    { requires: [veraMade] },
  );

  let totp;
  await step(
    'the user sets up two-factor sign-in in Settings (QR code, a code, ten recovery codes)',
    async () => {
      totp = await enrolTotp(user, alice.password, { screenshot: (name) => shot(user, `user-2fa-${name}`) });
      await shot(user, 'user-settings-2fa-on');
    },
    { requires: [signedIn] },
  );

  const enrolled = 'the user sets up two-factor sign-in in Settings (QR code, a code, ten recovery codes)';
  await step(
    'the user signs in again with a code from the authenticator, then with a recovery code',
    async () => {
      await signOut(user);
      const usedAt = await signInWithSecondFactor(user, {
        username: alice.username,
        password: alice.password,
        secret: totp.secret,
        usedAt: totp.usedAt,
        screenshot: () => shot(user, 'anonymous-login-code-step'),
      });
      totp.usedAt = usedAt;
      await signOut(user);
      await signInWithSecondFactor(user, {
        username: alice.username,
        password: alice.password,
        recoveryCode: totp.codes[0],
      });
    },
    { requires: [enrolled] },
  );

  await step(
    'the Audit page lists the earlier changes, filters by action, exports, opens one and verifies the chain',
    async () => {
      await auditPageWorks(admin, {
        expectActions: ['role.create', 'user.create', 'auth.mfa_enrol', 'auth.login'],
        screenshot: (name) => shot(admin, `admin-${name}`),
      });
    },
    { requires: [roleMade, enrolled] },
  );

  await step(
    'a refused request shows on the Audit page as authz.denied with its actor',
    async () => {
      await deniedThroughApi(stack, { username: bob.username, password: bob.password });
      await deniedEventListed(admin, bob.username);
    },
    { requires: [adminIn, bobReady] },
  );

  for (const [role, page, requires] of [
    ['admin', admin, 'admin signs in with the keyboard only'],
    ['user', user, signedIn],
    ['viewer', viewer, 'a read-only user sees every page of their menu and no write control on any'],
  ]) {
    await step(
      `screenshots of every page as ${role}, 1280 and 390 px, nothing wider than the phone`,
      async () => {
        const { files, overflowing } = await screenshotPages(page, { dir: shots, prefix: role, paths: PAGES });
        assert(files.length === PAGES.length * 2, `wrote ${files.length} screenshots`);
        assert(overflowing.length === 0, `wider than 390 px: ${overflowing.join(', ')}`);
      },
      { requires: [requires] },
    );
  }

  await step(
    'company sign-in: the provider’s own login page, then the dashboard with the role the directory group maps to',
    async () => {
      const idp = await startIdentityProvider(stack, join(webRoot, '../..'));
      const api = new ApiSession(stack.apiUrl, stack.webUrl);
      await api.login('admin', ADMIN_PASSWORD);
      await addIdentityProvider(api, idp);
      const person = await newPersonPage(browser, stack.webUrl);
      const session = await signInWithProvider(person, {
        login: 'olivia',
        issuer: idp.issuer,
        screenshot: (name) => shot(person, `anonymous-${name}`),
      });
      assert(session.user.username === 'olivia', `signed in as ${session.user.username}`);
      assert(session.user.role === 'user', `the engineering group should map to user, got ${session.user.role}`);
      await shot(person, 'oidc-user-landing');
      await person.goto('/settings');
      await person.getByText('Company sign-in').waitFor();
      await shot(person, 'oidc-user-settings');
      await admin.goto('/settings/identity-providers');
      await admin.getByText('Company SSO').first().waitFor();
      await shot(admin, 'admin-identity-providers');
      await person.context().close();
    },
    { requires: [adminIn] },
  );

  await step(
    "the admin resets the user's two-factor sign-in from the Users page, which ends the user's session",
    () => adminResetsTotp(admin, user, alice.username),
    { requires: ['the user signs in again with a code from the authenticator, then with a recovery code'] },
  );
}
