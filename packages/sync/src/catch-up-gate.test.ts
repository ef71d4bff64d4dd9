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
});
