export { ApiExceptionFilter, type RetryableError } from './api-exception.filter';
export { describeKnownError, type CodedError, type KnownError } from './known-error';
export { ZodValidationPipe } from './zod-validation.pipe';
