import { Global, Module } from '@nestjs/common';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { JwksKeyResolver } from './jwks-key-resolver';

/** The auth service's public keys: gateways verify tokens but can never mint them. */
@Global()
@Module({
  providers: [
    {
      provide: JwksKeyResolver,
      inject: [gatewayConfig.KEY],
      useFactory: (config: GatewayConfig) => JwksKeyResolver.load(config.jwks.url, config.jwks.waitMs),
    },
  ],
  exports: [JwksKeyResolver],
})
export class KeysModule {}
