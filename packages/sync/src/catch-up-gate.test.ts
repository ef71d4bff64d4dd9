import { describe, expect, it } from 'vitest';
import { createCatchUpGate } from './catch-up-gate.ts';

describe('catch-up gate', () => {
  it('gives the lead to one entrant at a time and wakes every waiter once the leader has caught up', () => {
    const gate = createCatchUpGate();
    const woken: string[] = [];
    const first = gate.enter((leads) => woken.push(`first ${leads}`));
    const second = gate.enter((leads) => woken.push(`second ${leads}`));
    const third = gate.enter((leads) => woken.push(`third ${leads}`));
    const fourth = gate.enter((leads) => woken.push(`fourth ${leads}`));
    expect([first.leader, second.leader, third.leader, fourth.leader]).toEqual([true, false, false, false]);
    third.leave();
    first.finish();
    expect(woken).toEqual(['second false', 'fourth false']);
    expect(first.leader).toBe(false);
    // Leaving or finishing again, or after being woken, changes nothing.
    first.leave();
    first.finish();
    second.leave();
    expect(woken).toEqual(['second false', 'fourth false']);
    expect(gate.enter(() => undefined).leader).toBe(true);
  });

  it('hands the lead to the longest waiter when the leader leaves before catching up', () => {
    const gate = createCatchUpGate();
    const woken: string[] = [];
    const first = gate.enter(() => woken.push('first'));
    const second = gate.enter((leads) => woken.push(`second ${leads}`));
    const third = gate.enter((leads) => woken.push(`third ${leads}`));
    first.leave();
    expect(woken).toEqual(['second true']);
    expect(second.leader).toBe(true);
    expect(third.leader).toBe(false);
    second.finish();
    expect(woken).toEqual(['second true', 'third false']);
    expect(gate.enter(() => undefined).leader).toBe(true);
  });

  it('says when it is busy and calls idle listeners once no session leads, across hand-overs', () => {
    const gate = createCatchUpGate();
    const idle: string[] = [];
    gate.whenIdle(() => idle.push('at once'));
    expect(idle).toEqual(['at once']);
    const first = gate.enter(() => undefined);
    const second = gate.enter(() => undefined);
    expect(gate.busy()).toBe(true);
    gate.whenIdle(() => idle.push('kept'));
    const cancel = gate.whenIdle(() => idle.push('cancelled'));
    cancel();
    // The lead passes to the waiter: still busy, nobody told.
    first.leave();
    expect(gate.busy()).toBe(true);
    expect(idle).toEqual(['at once']);
    second.finish();
    expect(gate.busy()).toBe(false);
    expect(idle).toEqual(['at once', 'kept']);
    // Once only.
    gate.enter(() => undefined).finish();
    expect(idle).toEqual(['at once', 'kept']);
  });
});
