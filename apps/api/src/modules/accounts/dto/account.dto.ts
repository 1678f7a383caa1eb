import { IsIn, IsOptional, IsString, IsUrl, IsUUID, MaxLength, ValidateIf } from 'class-validator';

export class OwnerQueryDto {
  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId?: string;
}

export class UpdateAccountDto {
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(100)
  alias: string | null;
}

export class ReassignOwnerDto {
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId: string;
}

export class StartOAuthDto {
  @IsIn(['browser', 'device'], { message: 'flow must be "browser" or "device"' })
  flow: 'browser' | 'device';

  @IsOptional()
  @IsUUID('all', { message: 'ownerId must be a user id (UUID)' })
  ownerId?: string;
}

export class ManualCallbackDto {
  @IsUUID('all', { message: 'flowId must be a flow id (UUID)' })
  flowId: string;

  @IsString()
  @IsUrl(
    { require_tld: false, require_protocol: true },
    { message: 'callbackUrl must be the full URL from the browser' },
  )
  @MaxLength(8192)
  callbackUrl: string;
}
