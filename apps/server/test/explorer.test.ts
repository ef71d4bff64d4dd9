import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createClient } from '@rhizome/client';
import { createMemoryStore } from '@rhizome/storage';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server.ts';
import { createTestApp, silentLogger, testConfig, TOKENS } from './helpers.ts';

/**
 * A Chromium found by test/global-setup.ts (Debian's chromium package, RHIZOME_CHROMIUM,
 * CHROME_PATH or playwright's cache; CI installs Debian's). No browser is downloaded: without one
 * the suite is skipped and the run says what to install.
 */
const CHROMIUM = inject('chromium') ?? '';
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/explorer/', import.meta.url));
const WAIT_MS = 15_000;

async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent({ timeout: WAIT_MS })) ?? '';
}

/** Waits until the locator's text contains `text` (or matches it). */
async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await expect
    .poll(() => textOf(locator), { timeout: WAIT_MS, interval: 50 })
    .toMatch(
      typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text,
    );
}

/** The row of a delta in a property's hyperview table, by the value it carries. */
function deltaRow(page: Page, property: string, value: string): Locator {
  return page
    .locator(`section[data-property="${property}"] tr.delta`)
    .filter({ has: page.locator('td.value', { hasText: value }) });
}

const resolved = (page: Page, property: string) => page.locator(`dd[data-property="${property}"]`);

describe.skipIf(CHROMIUM === '')('the Explorer in headless Chromium', () => {
  let server: RunningServer;
  let other: RunningServer | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer(testConfig({ RHIZOME_NODE_ID: 'explorer-node' }), {
      logger: silentLogger,
      store: createMemoryStore(),
    });
    const admin = createClient({ url: server.url, token: TOKENS.admin });
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    const bob = createClient({ url: server.url, token: TOKENS.bob });
    await admin.schemas.put.mutate({
      name: 'person',
      schema: {
        properties: {
          name: { kind: 'string', resolver: 'lww' },
          born: { kind: 'number', resolver: 'min' },
          city: { kind: 'reference', resolver: 'lww', target: 'place' },
          friend: { kind: 'reference', resolver: 'set', target: 'person' },
        },
      },
    });
    await admin.schemas.put.mutate({
      name: 'place',
      schema: {
        properties: {
          population: { kind: 'number', resolver: 'lww' },
          visitor: { kind: 'reference', resolver: 'set', target: 'person' },
        },
      },
    });
    await alice.entities.put.mutate({
      id: 'place:london',
      properties: { name: 'London', population: 3_000_000 },
    });
    await alice.entities.put.mutate({ id: 'place:paris', properties: { name: 'Paris' } });
    await alice.entities.put.mutate({
      id: 'person:ada',
      properties: { name: 'Ada', born: 1815, city: { id: 'place:london' } },
    });
    await bob.entities.put.mutate({ id: 'person:ada', properties: { born: 1816 } });
    await alice.entities.put.mutate({
      id: 'person:charles',
      properties: { name: 'Charles Babbage', city: { id: 'place:london' } },
    });
    await alice.entities.put.mutate({
      id: 'person:ada',
      properties: { friend: { id: 'person:charles' } },
    });
    await bob.entities.put.mutate({
      id: 'person:mary',
      properties: { name: 'Mary Somerville', friend: { id: 'person:ada' } },
    });
    await bob.entities.put.mutate({
      id: 'place:paris',
      properties: { visitor: { id: 'person:mary' } },
    });
    // A member of a transaction that was never declared: pending, so shown but struck through.
    await alice.deltas.append.mutate({
      deltas: [
        {
          pointers: [
            { localContext: 'entity', target: { id: 'person:ada' }, targetContext: 'name' },
            { localContext: 'name', target: 'Countess of Lovelace' },
            {
              localContext: '_transaction',
              target: { id: 'tx-unfinished' },
              targetContext: 'deltas',
            },
          ],
        },
      ],
    });

    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await other?.close();
    await server?.close();
  });

  it('lists entities by prefix and schema with counts, with the token the user enters', async () => {
    await page.goto(`${server.url}/`);
    // Without a token the API refuses, and the page says so as the API does.
    await waitForText(page.getByRole('alert').first(), 'UNAUTHENTICATED');
    await page.getByLabel('Token', { exact: true }).fill(TOKENS.alice);
    await page.getByRole('button', { name: 'Use token' }).click();
    await waitForText(page.locator('p.summary'), /\d+ entities/);
    // Kept for this tab only.
    expect(await page.evaluate('sessionStorage.getItem("rhizome.explorer.token")')).toBe(
      TOKENS.alice,
    );

    await page.getByLabel('Id prefix', { exact: true }).fill('person:');
    await waitForText(page.locator('p.summary'), '3 entities with id starting with “person:”');
    const rows = page.locator('table.entities tbody tr');
    expect(await rows.allTextContents()).toEqual([
      expect.stringContaining('person:ada'),
      expect.stringContaining('person:charles'),
      expect.stringContaining('person:mary'),
    ]);
    // person:ada: name, born (2), city, friend visible; the pending name is not counted.
    expect(await rows.first().locator('td.num').allTextContents()).toEqual(['4', '5']);

    await page.getByLabel('Id prefix', { exact: true }).fill('');
    await page.getByLabel('Schema', { exact: true }).selectOption('place');
    await waitForText(page.locator('p.summary'), '2 entities with schema place');
    await waitForText(page.locator('p.counts'), /The node holds \d+ deltas about \d+ entities/);
    await page.getByLabel('Schema', { exact: true }).selectOption('');
    await page.getByLabel('Id prefix', { exact: true }).fill('person:');
    await waitForText(page.locator('p.summary'), '3 entities');
    await page.screenshot({ path: `${SCREENSHOTS}entities.png` });
  });

  it('shows an entity: its view and every delta beside each property, with the choice and why', async () => {
    await page.getByRole('link', { name: 'person:ada', exact: true }).click();
    await waitForText(resolved(page, 'name'), '"Ada"');
    await page.getByLabel('Schema', { exact: true }).selectOption('person');
    await waitForText(
      page.locator('section[data-property="born"] .reason'),
      'min: the smallest of 2 numbers',
    );
    await waitForText(resolved(page, 'born'), '1815');
    expect(await deltaRow(page, 'born', '1815').getAttribute('class')).toContain('is-chosen');

    const name = page.locator('section[data-property="name"]');
    await waitForText(name.locator('.reason'), 'last-write-wins: newest timeCreated');
    const pending = deltaRow(page, 'name', 'Countess of Lovelace');
    expect(await pending.getAttribute('data-status')).toBe('pending-transaction');
    expect(await pending.locator('td.value del').count()).toBe(1);
    await waitForText(pending, 'transaction tx-unfinished is pending');
    expect(await deltaRow(page, 'name', '"Ada"').locator('td').nth(1).textContent()).toBe('alice');
    expect(await deltaRow(page, 'name', '"Ada"').locator('td').nth(3).textContent()).toBe(
      'explorer-node',
    );
  });

  it('writes a property and updates live, on its own writes and on writes made elsewhere', async () => {
    await page.getByLabel('Property', { exact: true }).fill('name');
    await page.getByLabel('Value', { exact: true }).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Set' }).click();
    await waitForText(page.locator('.write-status'), /Stored delta .* \(stored\)/);
    await waitForText(resolved(page, 'name'), '"Ada Lovelace"');
    expect(await deltaRow(page, 'name', '"Ada Lovelace"').getAttribute('class')).toContain(
      'is-chosen',
    );

    // A write by another client reaches the page through the delta stream, with no click here.
    await waitForText(page.locator('.page-head .live'), '● live');
    const bob = createClient({ url: server.url, token: TOKENS.bob });
    await bob.entities.put.mutate({ id: 'person:ada', properties: { born: 1814 } });
    await waitForText(resolved(page, 'born'), '1814');
    await waitForText(
      page.locator('section[data-property="born"] .reason'),
      'min: the smallest of 3 numbers',
    );

    // A number under the schema's string property is stored and listed, but the resolver skips it.
    await page.getByLabel('Type', { exact: true }).selectOption('number');
    await page.getByLabel('Value', { exact: true }).fill('12');
    await page.getByLabel('Property', { exact: true }).fill('name');
    await page.getByRole('button', { name: 'Set' }).click();
    await waitForText(deltaRow(page, 'name', '12'), 'ignored: its value is not of kind "string"');
    await waitForText(resolved(page, 'name'), '"Ada Lovelace"');

    // Errors are shown as the API gives them.
    await page.getByLabel('Token', { exact: true }).fill(TOKENS.reader);
    await page.getByRole('button', { name: 'Use token' }).click();
    await waitForText(resolved(page, 'name'), '"Ada Lovelace"');
    await page.getByLabel('Property', { exact: true }).fill('name');
    await page.getByLabel('Value', { exact: true }).fill('Reader was here');
    await page.getByLabel('Type', { exact: true }).selectOption('string');
    await page.getByRole('button', { name: 'Set' }).click();
    await waitForText(
      page.locator('form.write .error'),
      'FORBIDDEN: this token lacks the "write" scope',
    );
    await page.getByLabel('Token', { exact: true }).fill(TOKENS.alice);
    await page.getByRole('button', { name: 'Use token' }).click();
    await waitForText(resolved(page, 'name'), '"Ada Lovelace"');
  });

  it('negates a delta, shows it struck through, and shows the old value before the negation', async () => {
    const lovelace = deltaRow(page, 'name', '"Ada Lovelace"');
    const lovelaceId = await lovelace.getAttribute('data-delta-id');
    await lovelace.getByRole('button', { name: /^Negate delta/ }).click();
    await waitForText(page.locator('.write-status'), /Negated/);
    await expect
      .poll(() => lovelace.getAttribute('data-status'), { timeout: WAIT_MS })
      .toBe('negated');
    expect(await lovelace.locator('td.value del').count()).toBe(1);
    await waitForText(lovelace, /negated by .*\(alice, /);
    // The resolver falls back to the newest delta still visible.
    await waitForText(resolved(page, 'name'), '"Ada"');
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${SCREENSHOTS}entity.png` });
    // One step inside the page: a live re-render may replace the section between locating and scrolling.
    await page.evaluate(`document.querySelector('section[data-property="name"]').scrollIntoView()`);
    await page.screenshot({ path: `${SCREENSHOTS}hyperview.png` });

    // Back to the moment the negated delta was written: it is visible and chosen again.
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    const inspection = await alice.explorer.inspect.query({ id: 'person:ada' });
    const written = (await alice.deltas.get.query({ id: lovelaceId! })).timeCreated;
    const position = inspection.times.indexOf(written);
    expect(position).toBeGreaterThan(0);
    expect(position).toBeLessThan(inspection.times.length - 1);
    await page.getByLabel('As of', { exact: true }).fill(String(position));
    await waitForText(resolved(page, 'name'), '"Ada Lovelace"');
    await expect
      .poll(() => lovelace.getAttribute('data-status'), { timeout: WAIT_MS })
      .toBe('visible');
    expect(await lovelace.getAttribute('class')).toContain('is-chosen');
    await waitForText(
      page.locator('#as-of-text'),
      `moment ${position + 1} of ${inspection.times.length}`,
    );
    expect(page.url()).toContain(`asOf=${written}`);
    // Deltas from after that moment are listed, marked as such.
    expect(await page.locator('tr.delta[data-status="after-as-of"]').count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Now' }).click();
    await waitForText(resolved(page, 'name'), '"Ada"');
  });

  it('draws the neighbourhood and navigates by clicking an entity', async () => {
    await page.getByRole('link', { name: 'Neighbourhood graph' }).click();
    await page.locator('svg.graph').waitFor({ timeout: WAIT_MS });
    const entities = async () =>
      (
        await page
          .locator('svg.graph a.node')
          .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-entity')))
      ).sort();
    // Links both ways: ada's own properties, and mary's friend pointing at ada.
    await expect
      .poll(entities, { timeout: WAIT_MS })
      .toEqual(['person:ada', 'person:charles', 'person:mary', 'place:london']);
    await page.getByLabel('Distance', { exact: true }).selectOption('2');
    await expect
      .poll(entities, { timeout: WAIT_MS })
      .toEqual(['person:ada', 'person:charles', 'person:mary', 'place:london', 'place:paris']);
    await page.goto(`${server.url}/#/graph/person%3Amary?hops=1`);
    await expect
      .poll(entities, { timeout: WAIT_MS })
      .toEqual(['person:ada', 'person:mary', 'place:paris']);
    await page.goto(`${server.url}/#/graph/person%3Aada?hops=2`);
    await page.locator('svg.graph a.node[data-entity="place:paris"]').waitFor({ timeout: WAIT_MS });

    // Live: a new link appears without a reload.
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    await alice.entities.put.mutate({
      id: 'person:ada',
      properties: { visited: { id: 'place:rome' } },
    });
    await page.locator('svg.graph a.node[data-entity="place:rome"]').waitFor({ timeout: WAIT_MS });
    await page.screenshot({ path: `${SCREENSHOTS}graph.png` });

    await page.locator('svg.graph a.node[data-entity="person:charles"]').click();
    await waitForText(page.locator('h1'), 'person:charles');
    await waitForText(resolved(page, 'name'), '"Charles Babbage"');
  });

  it('shows the peers with their state, lag and last error, and the node counts and ingest rate', async () => {
    const admin = createClient({ url: server.url, token: TOKENS.admin });
    await admin.peers.add.mutate({ address: 'ws://127.0.0.1:9/sync' });
    other = await startServer(
      testConfig({
        RHIZOME_NODE_ID: 'explorer-peer',
        RHIZOME_PEERS: `${server.url.replace('http://', 'ws://')}/sync`,
        RHIZOME_PEER_TOKEN: TOKENS.peer,
      }),
      { logger: silentLogger, store: createMemoryStore() },
    );

    await page.getByRole('link', { name: 'Peers' }).click();
    await waitForText(page.locator('#stat-node'), 'explorer-node');
    const unreachable = page.locator('table.peers tbody tr', { hasText: 'ws://127.0.0.1:9/sync' });
    await waitForText(unreachable, /ECONNREFUSED|connect/);
    await waitForText(page.locator('table.peers tbody'), 'explorer-peer');
    await waitForText(page.locator('table.peers tbody tr', { hasText: 'explorer-peer' }), 'open');

    // Two readings of node.status give a rate; writes in between make it positive.
    const alice = createClient({ url: server.url, token: TOKENS.alice });
    for (let i = 0; i < 20; i++)
      await alice.entities.put.mutate({ id: `load:${i}`, properties: { n: i } });
    await waitForText(
      page.locator('#stat-rate'),
      /^[1-9][\d.]* deltas\/s$|^0\.[1-9]\d* deltas\/s$/,
    );
    await page.screenshot({ path: `${SCREENSHOTS}peers.png` });

    // Adding and removing peers takes an admin token: with the writer's, the page shows the refusal.
    const addressField = page.getByLabel('Peer address', { exact: true });
    await addressField.fill('ws://127.0.0.1:7/sync');
    await page.getByRole('button', { name: 'Add peer' }).click();
    await waitForText(page.getByRole('alert').first(), /FORBIDDEN|admin/);
    expect((await admin.peers.list.query()).peers.map((peer) => peer.address)).not.toContain(
      'ws://127.0.0.1:7/sync',
    );
    await page.getByLabel('Token', { exact: true }).fill(TOKENS.admin);
    await page.getByRole('button', { name: 'Use token' }).click();
    await addressField.fill('ws://127.0.0.1:7/sync');
    await page.getByRole('button', { name: 'Add peer' }).click();
    await waitForText(page.locator('table.peers tbody'), 'ws://127.0.0.1:7/sync');
    await page.getByRole('button', { name: 'Remove ws://127.0.0.1:9/sync' }).click();
    await expect.poll(() => unreachable.count(), { timeout: WAIT_MS }).toBe(0);
    const addresses = (await admin.peers.list.query()).peers.map((peer) => peer.address);
    expect(addresses).toContain('ws://127.0.0.1:7/sync');
    expect(addresses).not.toContain('ws://127.0.0.1:9/sync');
    // A configured peer has no button: the other node's link to this one is inbound here.
    await expect
      .poll(
        () =>
          page
            .locator('table.peers tbody tr', { hasText: 'explorer-peer' })
            .getByRole('button')
            .count(),
        { timeout: WAIT_MS },
      )
      .toBe(0);
    expect(pageErrors).toEqual([]);
  });
  it('says so when the node runs without sync', async () => {
    const { app, node } = await createTestApp();
    const http = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => http.once('listening', resolve));
    const { port } = http.address() as AddressInfo;
    const second = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await second.goto(`http://127.0.0.1:${port}/#/peers`);
      await second.getByLabel('Token', { exact: true }).fill(TOKENS.reader);
      await second.getByRole('button', { name: 'Use token' }).click();
      await waitForText(second.locator('#sync-disabled'), 'Sync is not enabled on this node');
      await waitForText(second.locator('#stat-node'), 'test-node');
    } finally {
      await second.close();
      await new Promise((resolve) => http.close(resolve));
      await node.close();
    }
  });
});
