export { ApiExceptionFilter, type CodedError, type RetryableError } from './api-exception.filter';
export { ZodValidationPipe } from './zod-validation.pipe';
