// Identifier shapes without zod (schemas.ts builds its schemas from these): code that must not
// load zod checks against them directly. blksnapctl's start and its talk to a running app never
// construct the domain schemas, which cost a run about 25 ms of CPU (test/bench/cli.ts).

/** A snapshot id (and a generation id): a UUID. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The kernel module dialects the app speaks (spec §1). */
export const DIALECT_IDS = ['lk6.15', 'v7', 'v6', 'val-7.0', 'val-13', 'v1'] as const;

export function isDialectId(value: string): value is (typeof DIALECT_IDS)[number] {
  return (DIALECT_IDS as readonly string[]).includes(value);
}
