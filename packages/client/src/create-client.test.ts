import { describe, expect, it } from 'vitest';
import { createClient, resolveTrpcUrl } from './create-client.ts';

describe('createClient', () => {
  it('serves the router under /trpc whatever the base URL looks like', () => {
    expect(resolveTrpcUrl('http://h:1')).toBe('http://h:1/trpc');
    expect(resolveTrpcUrl('http://h:1/')).toBe('http://h:1/trpc');
    expect(resolveTrpcUrl('http://h:1/trpc/')).toBe('http://h:1/trpc');
  });

  it('sends the bearer token with queries', async () => {
    const seen: string[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization') ?? '');
      seen.push(String(input));
      return new Response(JSON.stringify([{ result: { data: { status: 'ok', nodeId: 'n' } } }]), {
        headers: { 'content-type': 'application/json' },
      });
    };
    const client = createClient({ url: 'http://node.test', token: 'secret', fetch });
    await expect(client.node.health.query()).resolves.toEqual({ status: 'ok', nodeId: 'n' });
    expect(seen[0]).toBe('Bearer secret');
    expect(seen[1]).toContain('http://node.test/trpc/node.health');
  });
});
