import { GraphQLError } from 'graphql';

/** The code of the GraphQL error a service call fails with, or 'NO ERROR'; anything else is rethrown. */
export async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GraphQLError) return error.extensions.code;
    throw error;
  }
  return 'NO ERROR';
}
