export { normalize, join } from './normalize.js';
export { dirname, basename, extname } from './parts.js';
