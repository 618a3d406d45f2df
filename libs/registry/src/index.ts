export { ConnectionRegistry, type Admission, type Connection, type ConnectionLimitPolicy, type NodeConnectionCount, type SessionCheck } from './connection-registry';
export { RegistryModule } from './registry.module';
