import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';
import { ADMIN_ONLY, PUBLIC_ROUTE } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

/** Global guard: every route needs a valid key unless marked @Public(); @AdminOnly() routes need an admin. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.auth.authenticate(request.headers.authorization);
    request.principal = principal;
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets)) this.auth.requireAdmin(principal);
    return true;
  }
}
