import { AccountEntity } from '../modules/accounts/account.entity';
import { SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/users/user.entity';

export const ENTITIES = [UserEntity, SessionEntity, AccountEntity];
