export { MT19937 } from './mt19937.js';
export type { Shufflable } from './mt19937.js';
