// Types of build/wat.mjs for the tests that import it.
/** electron/service/levels/levels.wat */
export const WAT: string;
/** electron/service/levels/bytes.ts */
export const OUT: string;
/** The text bytes.ts should hold for the .wat as it is now. */
export function generated(): Promise<string>;
