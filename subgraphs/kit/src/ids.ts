import { v7 as uuidv7 } from 'uuid';

/**
 * New entity ids are UUIDv7: globally unique and ordered by creation time, so a cursor over `id` lists rows in the
 * order they were made and needs no second sort column.
 */
export const newId = (): string => uuidv7();
