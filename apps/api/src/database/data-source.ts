// TypeORM data source options shared by the app and by tests. `synchronize` stays off: the
// schema is whatever the committed migrations say.
import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseTarget {
  url: string;
  /** The embedded database is a single Postgres session: one connection, queued. */
  embedded: boolean;
}

export function dataSourceOptions(target: DatabaseTarget): DataSourceOptions {
  return {
    type: 'postgres',
    url: target.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: target.embedded
      ? { max: 1, idleTimeoutMillis: 0 }
      : { max: 10, idleTimeoutMillis: 30000, connectionTimeoutMillis: 10000 },
  };
}
