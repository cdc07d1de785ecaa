/** First block of a UUID, enough to tell ids apart in a table (the full id is on hover). */
export function shortId(uuid: string): string {
  return uuid.slice(0, 8);
}
