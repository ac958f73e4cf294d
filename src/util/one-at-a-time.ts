/** Runs the tasks handed to it one after the other, in the order handed; a failed task does not stop the next. */
export type Turns = <T>(task: () => Promise<T>) => Promise<T>;

export function oneAtATime(): Turns {
  let last: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = last.then(task);
    last = run.catch(() => undefined);
    return run;
  };
}
