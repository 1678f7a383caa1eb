// class-transformer ships the runtime of its metadata storage under cjs/ and the types under
// types/; validation.ts reads nested DTO types from it.
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
