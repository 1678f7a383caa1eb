// The audit log: one append-only table of who did what, from where, and how it came out.
//
// - Rows are inserted in the transaction of the change they record, unsealed (seq and hashes
//   null). The sealer (modules/audit/audit-sealer.ts) later gives them seq, prev_hash and hash in
//   id order under an advisory lock, so a mutation never waits on a global lock.
// - A trigger refuses every UPDATE except sealing an unsealed row (only the sealing columns may
//   change), every DELETE and TRUNCATE. The one way rows leave is audit_purge(), which writes a
//   checkpoint row (the last purged seq and hash) before it deletes, so the chain is checkpointed,
//   not restarted; it sets a transaction-local flag the trigger checks, which nothing else sets.
// - Actions, actor kinds and outcomes are closed lists (libs/shared/src/audit.ts).
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Audit1764000009000 implements MigrationInterface {
  name = 'Audit1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT clock_timestamp(),
        actor_id uuid NULL,
        actor_kind varchar(16) NOT NULL CHECK (actor_kind IN ('human', 'service', 'anonymous', 'system')),
        actor_label varchar(200) NULL,
        auth_method varchar(64) NULL,
        action varchar(64) NOT NULL,
        target_type varchar(64) NULL,
        target_id varchar(200) NULL,
        target_label varchar(200) NULL,
        outcome varchar(16) NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
        reason varchar(1000) NULL,
        ip varchar(64) NULL,
        user_agent varchar(512) NULL,
        request_id varchar(64) NULL,
        changes jsonb NULL,
        seq bigint NULL UNIQUE,
        prev_hash char(64) NULL,
        hash char(64) NULL,
        CONSTRAINT audit_events_sealed CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL))
      )`);
    await q.query(`CREATE INDEX audit_events_at ON audit_events (at, id)`);
    await q.query(`CREATE INDEX audit_events_actor ON audit_events (actor_id, id) WHERE actor_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_events_action ON audit_events (action, id)`);
    await q.query(`CREATE INDEX audit_events_target ON audit_events (target_type, target_id, id)`);
    await q.query(`CREATE INDEX audit_events_outcome ON audit_events (outcome, id) WHERE outcome <> 'success'`);
    await q.query(`CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL`);

    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF current_setting('codex_lb.audit_purge', true) = 'on' THEN
            RETURN OLD;
          END IF;
          RAISE EXCEPTION 'audit_events is append-only: rows cannot be deleted' USING ERRCODE = '42501';
        END IF;
        IF TG_OP = 'TRUNCATE' THEN
          RAISE EXCEPTION 'audit_events is append-only: the table cannot be truncated' USING ERRCODE = '42501';
        END IF;
        -- UPDATE: only the sealer's, on an unsealed row, changing nothing but the sealing columns.
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
           AND (NEW.id, NEW.at, NEW.actor_id, NEW.actor_kind, NEW.actor_label, NEW.auth_method, NEW.action,
                NEW.target_type, NEW.target_id, NEW.target_label, NEW.outcome, NEW.reason, NEW.ip,
                NEW.user_agent, NEW.request_id, NEW.changes)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.actor_id, OLD.actor_kind, OLD.actor_label, OLD.auth_method, OLD.action,
                OLD.target_type, OLD.target_id, OLD.target_label, OLD.outcome, OLD.reason, OLD.ip,
                OLD.user_agent, OLD.request_id, OLD.changes) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: rows cannot be updated' USING ERRCODE = '42501';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);

    // Retention: deletes up to batch_size of the oldest sealed rows older than cutoff (never the
    // chain's tip), after writing a checkpoint row that names the last purged seq and its hash.
    // Returns how many rows it deleted.
    await q.query(`
      CREATE FUNCTION audit_purge(cutoff timestamptz, batch_size integer) RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        tip bigint;
        last_seq bigint;
        last_hash char(64);
        deleted integer;
      BEGIN
        SELECT max(seq) INTO tip FROM audit_events;
        IF tip IS NULL THEN
          RETURN 0;
        END IF;
        SELECT e.seq, e.hash INTO last_seq, last_hash FROM (
          SELECT seq, hash FROM audit_events
           WHERE seq IS NOT NULL AND seq < tip AND at < cutoff
           ORDER BY seq LIMIT greatest(batch_size, 1)
        ) e ORDER BY e.seq DESC LIMIT 1;
        IF last_seq IS NULL THEN
          RETURN 0;
        END IF;
        INSERT INTO audit_events (actor_kind, actor_label, action, target_type, outcome, reason, changes)
        VALUES ('system', 'retention', 'audit.purge', 'audit_events', 'success',
                'rows older than ' || cutoff::text || ' purged by retention',
                jsonb_build_object('after', jsonb_build_object('throughSeq', last_seq, 'throughHash', last_hash)));
        PERFORM set_config('codex_lb.audit_purge', 'on', true);
        DELETE FROM audit_events WHERE seq IS NOT NULL AND seq <= last_seq;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('codex_lb.audit_purge', 'off', true);
        RETURN deleted;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_events`);
    await q.query(`DROP FUNCTION IF EXISTS audit_purge(timestamptz, integer)`);
    await q.query(`DROP FUNCTION IF EXISTS audit_events_append_only()`);
  }
}
