export { startPlatform, type RunningPlatform, type AppName, allApps } from './platform.js';
