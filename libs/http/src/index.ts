export { ApiExceptionFilter, type CodedError } from './api-exception.filter';
export { ZodValidationPipe } from './zod-validation.pipe';
