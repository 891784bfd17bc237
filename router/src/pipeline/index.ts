export { judgeOperation, type JudgeOperation, type JudgeOperationOptions } from './judge-operation';
export { operationPipelinePlugin } from './apollo-plugin';
export type { OperationRequest, Transport, Verdict } from './types';
