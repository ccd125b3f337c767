// Worker threads do not inherit the tsx loader that runs the main thread's TypeScript, so a worker
// starts here (plain JavaScript), registers tsx, then imports its TypeScript entry module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__entry);
