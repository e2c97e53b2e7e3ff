import type { Page } from "./types.js";

/**
 * Every item of a list, page after page, following `nextCursor` until it is null:
 * `for await (const job of client.jobs.iterate({ state: "Pending" })) …`. Pages are
 * fetched one at a time, as the loop asks for more; leaving the loop fetches no more.
 */
export async function* paginate<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, cursor?: string): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.items;
    if (page.nextCursor === null || page.nextCursor === undefined || page.nextCursor === "") return;
    // a server that hands out the same cursor twice would loop forever
    if (seen.has(page.nextCursor)) throw new Error(`The list handed out the cursor ${page.nextCursor} twice.`);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}

/** Collects an async iterable (Array.fromAsync is Node 22+). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
