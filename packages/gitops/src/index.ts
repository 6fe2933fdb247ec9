export * from './flux.ts';
export * from './order.ts';
export * from './places.ts';
export * from './plan.ts';
export * from './settings.ts';
export * from './sync.ts';
