import { describe, expect, it } from 'vitest';
import { createLazyPushPolicy } from './lazy-push.ts';

const options = { peerLazy: true, peerPullsByIds: true, filtered: false, lazyPushLag: 100 };

describe('lazy push policy', () => {
  it('sends relayed entries by id far behind only to a catch-up-by-ids peer, and own ones only when asked', () => {
    const older = createLazyPushPolicy({ ...options, peerPullsByIds: false });
    expect(older.modeFor(950, 1000)).toEqual({ relayed: true, own: false });
    expect(older.modeFor(0, 1000)).toEqual({ relayed: false, own: false });
    const newer = createLazyPushPolicy(options);
    expect(newer.modeFor(0, 1000)).toEqual({ relayed: true, own: false });
    newer.setPullByIds(true);
    expect(newer.modeFor(0, 1000)).toEqual({ relayed: true, own: true });
    // Near the live edge the origin's body is the best path: own entries in full.
    expect(newer.modeFor(950, 1000)).toEqual({ relayed: true, own: false });
    expect(createLazyPushPolicy({ ...options, filtered: true }).modeFor(0, 1000)).toEqual({ relayed: false, own: false });
  });

  it('turns one kind of entry to bodies when the peer asks for most of its announcements', () => {
    const policy = createLazyPushPolicy(options);
    policy.setPullByIds(true);
    for (let i = 0; i < 32; i++) {
      policy.announced(`own-${i}`, false);
      policy.announced(`relayed-${i}`, true);
      policy.wanted(`own-${i}`);
    }
    // Own entries go in full for the next span; relayed ones, never asked for, stay by id.
    expect(policy.modeFor(0, 100_000)).toEqual({ relayed: true, own: false });
    expect(policy.modeFor(16_383, 100_000)).toEqual({ relayed: true, own: false });
    expect(policy.modeFor(16_384, 100_000)).toEqual({ relayed: true, own: true });
  });
});
