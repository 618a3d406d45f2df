export { ConnectionRegistry, type Connection, type NodeConnectionCount } from './connection-registry';
export { RegistryModule } from './registry.module';
