import { SessionEntity } from '../modules/auth/session.entity';
import { UserEntity } from '../modules/users/user.entity';

export const ENTITIES = [UserEntity, SessionEntity];
