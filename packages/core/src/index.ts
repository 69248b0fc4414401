export * from './errors.js';
export * from './ids.js';
export * from './canonical.js';
export * from './timeline/event.js';
export * from './timeline/personal-data.js';
export * from './timeline/verify-chain.js';
export * from './case-types/definition.js';
export * from './access/permissions.js';
