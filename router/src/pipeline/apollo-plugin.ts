import type { ApolloServerPlugin } from '@apollo/server';
import type { RouterContext } from '../context';
import type { JudgeOperation } from './judge-operation';

/**
 * Judges every operation Apollo Server resolves (each operation of a batch on its own) before the gateway plans or
 * sends anything. Apollo has parsed and validated it already, with the guard's rules; the pipeline does the rest.
 */
export function operationPipelinePlugin(judge: JudgeOperation): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request, contextValue, response }) {
          const verdict = await judge(
            { schema, document, operationName, variables: request.variables },
            contextValue,
            'http',
          );
          for (const [name, value] of verdict.headers) response.http.headers.set(name, value);
          if (verdict.errors) throw verdict.errors[0];
        },
      };
    },
  };
}
