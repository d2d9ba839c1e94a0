/** The page size when the caller gives none (the gateway's own default). */
const DEFAULT_PAGE_SIZE = 100;

/**
 * Every item of an offset-paged list call, fetching one page of `limit` (default 100) at a time as
 * the caller iterates; a page shorter than `limit` is the last. What the `listAll` methods return.
 */
export async function* allPages<T, O extends { limit?: number | undefined }>(
  list: (options: O & { limit: number; offset: number }) => Promise<T[]>,
  options: O,
): AsyncGenerator<T, void, undefined> {
  const limit = options.limit || DEFAULT_PAGE_SIZE;
  for (let offset = 0; ; offset += limit) {
    const page = await list({ ...options, limit, offset });
    yield* page;
    if (page.length < limit) return;
  }
}
