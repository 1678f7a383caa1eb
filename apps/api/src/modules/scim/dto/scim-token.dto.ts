// The request body of POST /api/scim-tokens. Unknown fields are rejected by the global pipe.
import { SCIM_TOKEN_NAME_MAX_LENGTH, type CreateScimTokenRequest } from '@codex-lb/shared';
import { Text } from '../../../common/validation';

export class CreateScimTokenDto implements CreateScimTokenRequest {
  @Text({ max: SCIM_TOKEN_NAME_MAX_LENGTH, min: 1 })
  name: string;
}
