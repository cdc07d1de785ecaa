// Schemas built on first use, not at module load. zod v4 gives every schema dozens of methods of
// its own, so building the whole contract cost each blksnapctl call ~20 ms of CPU when it needed
// one method's arguments (test/bench/cli.ts). A named schema is a function that builds it once and
// returns that instance ever after: `DevicePath()`. The contract's tables (API, PUSH) are objects
// whose entries are built when first read; their keys are there from the start.
import type { z } from 'zod';

export type LazySchema<T extends z.ZodType> = () => T;
/** The TypeScript type a named schema describes: `type DevicePath = Infer<typeof DevicePath>`. */
export type Infer<S extends LazySchema<z.ZodType>> = z.infer<ReturnType<S>>;

const built = new WeakSet<() => unknown>();

export function lazySchema<T extends z.ZodType>(build: () => T): LazySchema<T> {
  let schema: T | undefined;
  const get = (): T => {
    if (schema === undefined) {
      schema = build();
      built.add(get);
    }
    return schema;
  };
  return get;
}

/** Whether a named schema has been built (what a call built is what the tests check). */
export function wasBuilt(schema: LazySchema<z.ZodType>): boolean {
  return built.has(schema);
}

/** A table whose entries are built when first read; Object.keys, Object.hasOwn and `in` see every key. */
export function lazyTable<T extends Record<string, () => unknown>>(entries: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const table = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const key of Object.keys(entries) as (keyof T & string)[]) {
    Object.defineProperty(table, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = entries[key]!() as ReturnType<T[typeof key]>;
        Object.defineProperty(table, key, { value, enumerable: true, writable: false, configurable: false });
        return value;
      },
    });
  }
  return table;
}
