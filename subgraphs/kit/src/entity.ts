import { p } from '@mikro-orm/core';
import { newId } from './ids';

/** The primary key every entity uses: a time-ordered UUIDv7 made when the row is first flushed. */
export const idProperty = () =>
  p
    .string()
    .length(36)
    .primary()
    .onCreate(() => newId());

/** When the row was created. */
export const createdAtProperty = () => p.datetime().onCreate(() => new Date());
