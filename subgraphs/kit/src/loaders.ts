import type { EntityName, FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';
import type { SqlEntityManager } from './database';

/** The filter a loader's batch reads by: any of its keys, e.g. `em.find(Job, { id: inKeys(keys) })`. */
export const inKeys = (keys: readonly string[]) => ({ $in: [...keys] });

/** A reference to a user that Aegis resolves (federation entity). */
export const userRef = (id: string) => ({ __typename: 'User' as const, id });

/** A reference to an entity another subgraph resolves, e.g. `entityRef('Skill', 'slug', slug)`. */
export const entityRef = <Type extends string, Key extends string>(typename: Type, key: Key, value: string) =>
  ({ __typename: typename, [key]: value }) as { __typename: Type } & Record<Key, string>;

/** A loader of rows of one entity by primary key `id`, in one statement per tick: `courseById: byId(em, Course)`. */
export function byId<T extends { id: string }>(
  em: SqlEntityManager,
  entity: EntityName<T>,
): DataLoader<string, T | null> {
  return oneByKey(
    (ids) => em.find(entity, { id: inKeys(ids) } as unknown as FilterQuery<T>) as Promise<T[]>,
    (row) => row.id,
  );
}

/**
 * A federation `__resolveReference` that reads the entity through one of the request's loaders, so the references
 * of one plan step are one statement: `Course: { __resolveReference: byReference((l) => l.courseById) }`.
 */
export function byReference<Loaders, T>(loaderOf: (loaders: Loaders) => DataLoader<string, T | null>) {
  return (reference: { id: string }, context: { loaders: Loaders }): Promise<T | null> =>
    loaderOf(context.loaders).load(reference.id);
}

/**
 * A loader that fetches many rows by key in one statement and hands each key its row (or null). Keys that repeat in
 * one tick are fetched once.
 */
export function oneByKey<T>(
  fetch: (keys: readonly string[]) => Promise<T[]>,
  keyOf: (row: T) => string,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const byKey = new Map((await fetch(keys)).map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A loader that fetches the rows of many groups (e.g. accounts of many owners) in one statement. */
export function manyByKey<T>(
  fetch: (keys: readonly string[]) => Promise<T[]>,
  groupOf: (row: T) => string,
): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const groups = new Map<string, T[]>();
    for (const row of await fetch(keys)) {
      const key = groupOf(row);
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}
