import { type PipeTransform } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';

const nameShape = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,190}$/;

/** Model names of the catalogue (manifest and config entry names); anything else cannot name one: 404. */
export class ModelNameParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!nameShape.test(value)) throw ApiError.notFound('Model', JSON.stringify(value.slice(0, 64)));
    return value;
  }
}
