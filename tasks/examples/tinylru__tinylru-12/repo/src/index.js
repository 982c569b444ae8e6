export { LRUCache } from './lru.js';
export { memoize } from './memoize.js';
