import { type PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error.js';

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids are UUIDs (libs/db's time-ordered ones). Anything else cannot name a row, so it is a 404 here rather
 * than a malformed value sent to a database whose uuid column would reject it with a 500.
 */
export class IdParamPipe implements PipeTransform<string, string> {
  constructor(private readonly what: string) {}

  transform(value: string): string {
    if (!uuidShape.test(value)) throw ApiError.notFound(this.what, JSON.stringify(value.slice(0, 64)));
    return value.toLowerCase();
  }
}
