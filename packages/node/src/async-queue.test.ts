import { describe, expect, it } from 'vitest';
import { createAsyncQueue } from './async-queue.ts';

describe('createAsyncQueue', () => {
  it('keeps only the newest items when overflow is "latest"', async () => {
    const queue = createAsyncQueue<number>({ capacity: 1, overflow: 'latest' });
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await queue.next()).toEqual({ done: false, value: 3 });
  });

  it('fails the consumer with SUBSCRIBER_TOO_SLOW when overflow is "fail"', async () => {
    const queue = createAsyncQueue<number>({ capacity: 2, overflow: 'fail' });
    for (const n of [1, 2, 3]) queue.push(n);
    await expect(queue.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
    expect(queue.closed).toBe(true);
  });

  it('wakes a waiting consumer on push, on close and on abort', async () => {
    const queue = createAsyncQueue<string>({ capacity: 4, overflow: 'fail' });
    const waiting = queue.next();
    queue.push('a');
    expect(await waiting).toEqual({ done: false, value: 'a' });

    const controller = new AbortController();
    const aborted = queue.next(controller.signal);
    controller.abort();
    expect(await aborted).toEqual({ done: true, value: undefined });

    const closed = queue.next();
    queue.close();
    expect(await closed).toEqual({ done: true, value: undefined });
  });
});

describe('createAsyncQueue batches', () => {
  it('takes a batch larger than its capacity whole when it was within capacity', async () => {
    const overflows: unknown[] = [];
    const queue = createAsyncQueue<number>({
      capacity: 3,
      overflow: 'fail',
      onOverflow: (error) => overflows.push(error),
    });
    queue.push(0);
    queue.pushBatch([1, 2, 3, 4, 5, 6, 7]);
    expect(queue.size).toBe(8);
    const taken: number[] = [];
    for (let i = 0; i < 6; i++) taken.push((await queue.next()).value!);
    expect(taken).toEqual([0, 1, 2, 3, 4, 5]);
    queue.pushBatch([8]); // 2 unread: still within capacity
    expect(overflows).toEqual([]);
    queue.pushBatch([9]); // 3 unread: a whole buffer behind
    expect(overflows).toMatchObject([{ code: 'SUBSCRIBER_TOO_SLOW' }]);
    expect(queue.size).toBe(0);
    await expect(queue.next()).rejects.toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
  });

  it('keeps the newest items of batches when overflow is "latest"', async () => {
    const queue = createAsyncQueue<number>({ capacity: 2, overflow: 'latest' });
    queue.pushBatch([1, 2, 3]);
    queue.pushBatch([4]);
    expect(queue.size).toBe(2);
    expect(await queue.next()).toEqual({ done: false, value: 3 });
    expect(await queue.next()).toEqual({ done: false, value: 4 });
  });
});
