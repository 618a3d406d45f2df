import { Module } from '@nestjs/common';
import { PresenceModule } from '../registry/presence.module';
import { SocketsModule } from '../sockets/sockets.module';
import { RecentEnds } from './recent-ends';
import { SessionRecheck } from './session-recheck';
import { UserLoggedOutSubscriber } from './user-logged-out.subscriber';

/** Dropping the sockets of ended sessions: on `user-logged-out`, and by periodic re-check. */
@Module({
  imports: [PresenceModule, SocketsModule],
  providers: [SessionRecheck, UserLoggedOutSubscriber, RecentEnds],
  exports: [UserLoggedOutSubscriber, RecentEnds],
})
export class RevocationModule {}
