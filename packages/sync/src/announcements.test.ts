import { describe, expect, it } from 'vitest';
import { createAnnouncementTracker } from './announcements.ts';

describe('announcement tracker', () => {
  it('holds the persisted cursor at the oldest floor with ids outstanding, asked for or held back', () => {
    const tracker = createAnnouncementTracker();
    tracker.record(['x', 'y'], 10, true);
    tracker.record(['z'], 20, false);
    expect(tracker.size).toBe(3);
    expect(tracker.heldBack).toBe(1);
    expect(tracker.persistable(30)).toBe(10);
    tracker.arrived('x');
    tracker.arrived('y');
    expect(tracker.persistable(30)).toBe(20);
    // A held-back id that arrived over another path is not released to be asked for.
    tracker.record(['w'], 25, false);
    tracker.arrived('z');
    expect(tracker.release()).toEqual(['w']);
    expect(tracker.heldBack).toBe(0);
    expect(tracker.has('w')).toBe(true);
    expect(tracker.persistable(30)).toBe(25);
    tracker.arrived('w');
    expect(tracker.persistable(30)).toBe(30);
    expect(tracker.size).toBe(0);
  });
});
