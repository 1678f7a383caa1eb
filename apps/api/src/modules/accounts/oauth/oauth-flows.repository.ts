// The only code that touches oauth_flows. A flow belongs to the user who started it; status reads
// are scoped to that user (admins see all).
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

export interface FlowRow {
  id: string;
  ownerUserId: string;
  createdByUserId: string;
  flow: 'browser' | 'device';
  state: string | null;
  secretEnc: string;
  status: 'pending' | 'success' | 'error';
  error: string | null;
  accountId: string | null;
  expiresAt: Date;
}

function toFlow(row: Record<string, unknown>): FlowRow {
  return {
    id: row.id as string,
    ownerUserId: row.owner_user_id as string,
    createdByUserId: row.created_by_user_id as string,
    flow: row.flow as FlowRow['flow'],
    state: row.state as string | null,
    secretEnc: row.secret_enc as string,
    status: row.status as FlowRow['status'],
    error: row.error as string | null,
    accountId: row.account_id as string | null,
    expiresAt: row.expires_at as Date,
  };
}

@Injectable()
export class OAuthFlowsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(
    input: {
      ownerUserId: string;
      createdByUserId: string;
      flow: 'browser' | 'device';
      state: string | null;
      secretEnc: string;
      expiresAt: Date;
    },
    manager?: EntityManager,
  ): Promise<string> {
    const rows = await (manager ?? this.dataSource.manager).query(
      `INSERT INTO oauth_flows (owner_user_id, created_by_user_id, flow, state, secret_enc, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [input.ownerUserId, input.createdByUserId, input.flow, input.state, input.secretEnc, input.expiresAt],
    );
    return rows[0].id;
  }

  /** The flow if `userId` started it (or `all` for admins). */
  async findForUser(id: string, scope: { userId: string } | { all: true }): Promise<FlowRow | null> {
    const params: unknown[] = [id];
    let sql = `SELECT * FROM oauth_flows WHERE id = $1`;
    if ('userId' in scope) {
      params.push(scope.userId);
      sql += ` AND created_by_user_id = $2`;
    }
    const rows = await this.dataSource.query(sql, params);
    return rows[0] ? toFlow(rows[0]) : null;
  }

  async findPendingByState(state: string): Promise<FlowRow | null> {
    const rows = await this.dataSource.query(`SELECT * FROM oauth_flows WHERE state = $1`, [state]);
    return rows[0] ? toFlow(rows[0]) : null;
  }

  /** Moves a pending flow to its outcome exactly once; false if it was already settled. */
  async settle(id: string, outcome: { status: 'success'; accountId: string } | { status: 'error'; error: string }) {
    const result = await this.dataSource.query(
      `UPDATE oauth_flows SET status = $2, account_id = $3, error = $4 WHERE id = $1 AND status = 'pending'`,
      [
        id,
        outcome.status,
        outcome.status === 'success' ? outcome.accountId : null,
        outcome.status === 'error' ? outcome.error : null,
      ],
    );
    return result[1] > 0;
  }

  async pendingCount(flow: 'browser' | 'device'): Promise<number> {
    const rows = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM oauth_flows WHERE flow = $1 AND status = 'pending' AND expires_at > now()`,
      [flow],
    );
    return rows[0].n;
  }

  async deleteExpired(): Promise<void> {
    await this.dataSource.query(`DELETE FROM oauth_flows WHERE expires_at < now() - interval '1 day'`);
  }
}
