// Records an authz.denied event for every 403 a handler throws (a service's own refusal, after
// the guard let the request in). The guard's own 403s never reach interceptors; it records those.
import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { catchError } from 'rxjs/operators';
import { AuditService } from './audit.service';
import { recordDenial } from './denials';

@Injectable()
export class DenialInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof HttpException && error.getStatus() === 403 && context.getType() === 'http') {
          recordDenial(this.audit, this.reflector, context, error.message);
        }
        throw error;
      }),
    );
  }
}
