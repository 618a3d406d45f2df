export { ConnectionRegistry, type Admission, type Connection, type ExternalAdmission, type ConnectionLimitPolicy, type NodeConnectionCount, type SocketTransport, StoredNodeEntry } from './connection-registry';
export { RegistryModule } from './registry.module';
