import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

@Injectable()
class Dep { v = 42; }
@Injectable()
class Svc { constructor(readonly dep: Dep) {} }
@Module({ providers: [Dep, Svc] })
class M {}

describe('smoke', () => {
  it('nest DI works', async () => {
    const app = await NestFactory.create(M, new FastifyAdapter(), { logger: false });
    await app.init();
    expect(app.get(Svc).dep.v).toBe(42);
    await app.close();
  });
});
