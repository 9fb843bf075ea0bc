import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { type Principal } from './principal.js';

export const PUBLIC_ROUTE = 'switchboard:public';
export const ADMIN_ONLY = 'switchboard:admin-only';

/** No key needed (health and metrics endpoints). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Needs an admin key: 401 without a valid key (and on an open install), 403 with a user key. */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);

/** The caller, as the auth guard established it. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
  // The guard runs before every non-public handler; reaching here without a principal is a wiring bug.
  if (!principal) throw new Error('CurrentPrincipal used on a route the auth guard does not cover');
  return principal;
});
