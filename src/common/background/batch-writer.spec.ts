import { Logger } from '@nestjs/common';
import { BatchWriter } from './batch-writer';

interface Row {
  reason: string;
}

const event = (reason: string): Row => ({ reason });

/** A repository whose inserts finish when the test says so, recording each statement's rows. */
function fakeRepository(refuse: (rows: Row[]) => boolean = () => false) {
  const statements: string[][] = [];
  const pending: (() => void)[] = [];
  const repository = {
    insertMany: (rows: Row[]) => {
      statements.push(rows.map((row) => row.reason));
      return new Promise<void>((resolve, reject) => {
        pending.push(() => (refuse(rows) ? reject(new Error('refused')) : resolve()));
      });
    },
  };
  /** Lets the writer go on until it has nothing left in flight, finishing each statement. */
  const finishAll = async () => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (pending.length === 0) return;
      pending.splice(0).forEach((finish) => finish());
    }
  };
  return { repository, statements, finishAll };
}

describe('BatchWriter', () => {
  it('writes events recorded while a statement is in flight together, in the next one', async () => {
    const { repository, statements, finishAll } = fakeRepository();
    const writer = new BatchWriter<Row>(repository.insertMany, new Logger('test'), 'row(s)');
    const first = writer.write(event('a'));
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd'].map((reason) => writer.write(event(reason)));
    await finishAll();
    await Promise.all([first, ...rest]);
    expect(statements).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('resolves a caller only once its own statement has finished', async () => {
    const { repository, finishAll } = fakeRepository();
    const writer = new BatchWriter<Row>(repository.insertMany, new Logger('test'), 'row(s)');
    let written = false;
    const promise = writer.write(event('a')).then(() => (written = true));
    await new Promise((r) => setImmediate(r));
    expect(written).toBe(false);
    await finishAll();
    await promise;
    expect(written).toBe(true);
  });

  it('retries a failed batch row by row, so that only the bad event fails', async () => {
    const { repository, statements, finishAll } = fakeRepository((rows) =>
      rows.some((row) => row.reason === 'bad'),
    );
    const writer = new BatchWriter<Row>(repository.insertMany, new Logger('test'), 'row(s)');
    const outcomes = ['a', 'bad', 'c'].map((reason) =>
      writer.write(event(reason)).then(
        () => 'written',
        () => 'failed',
      ),
    );
    await finishAll();
    expect(await Promise.all(outcomes)).toEqual(['written', 'failed', 'written']);
    expect(statements).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('settles once everything recorded is written, and writes again afterwards', async () => {
    const { repository, statements, finishAll } = fakeRepository();
    const writer = new BatchWriter<Row>(repository.insertMany, new Logger('test'), 'row(s)');
    void writer.write(event('a'));
    const settled = writer.settled();
    await finishAll();
    await settled;
    await Promise.all([writer.write(event('b')), finishAll()]);
    expect(statements).toEqual([['a'], ['b']]);
  });
});
