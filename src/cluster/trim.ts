/**
 * What kspec keeps of an object it read: everything but metadata.managedFields, which is often
 * the larger part of a small object and which nothing kspec compares or evaluates reads.
 */
export function trimObject<T extends { metadata?: unknown }>(object: T): T {
  const metadata = object.metadata as Record<string, unknown> | undefined;
  if (!metadata || !('managedFields' in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}
