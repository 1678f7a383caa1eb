// Password writes of the auth module (the caller's own change), with the change time from the
// database clock: sessions compare their created_at (also now()) against it.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

@Injectable()
export class CredentialsRepository {
  /** The new hash, its change time, and the forced change cleared. */
  async setPassword(manager: EntityManager, userId: string, passwordHash: string): Promise<void> {
    await manager.query(
      `UPDATE dashboard_users
          SET password_hash = $2, password_changed_at = now(), must_change_password = false, updated_at = now()
        WHERE id = $1`,
      [userId, passwordHash],
    );
  }
}
