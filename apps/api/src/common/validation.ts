// One validation setup for every DTO: unknown fields are rejected, values are transformed to
// their declared types, and the messages are joined into one readable sentence.
import { ValidationPipe } from '@nestjs/common';

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: true,
  });
}
