import { AccountEntity } from '../modules/accounts/account.entity';
import { API_KEY_ENTITIES } from '../modules/api-keys/api-key.entity';
import { SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/users/user.entity';

export const ENTITIES = [UserEntity, SessionEntity, AccountEntity, ...API_KEY_ENTITIES];
