export * from './types';
export * from './build-report';
export * from './figures-types';
export * from './figures';
export * from './budgets';
export * from './compare';
export * from './source-lines';
export * from './render';
