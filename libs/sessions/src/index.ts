export * from './portable';
export { SessionsModule } from './sessions.module';
