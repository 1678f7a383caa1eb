export * from './permissions';
export * from './errors';
export * from './auth';
export * from './users';
export * from './accounts';
export * from './api-keys';
export * from './usage';
export * from './groups';
