/** Reads an async iterable to its end. A stream that throws rejects with that error. */
export async function collectStream<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
