import { Module } from '@nestjs/common';
import { PresenceModule } from '../registry/presence.module';
import { ForcedLogout } from './forced-logout';
import { RecentEnds } from './recent-ends';
import { SessionRecheck } from './session-recheck';
import { UserLoggedOutSubscriber } from './user-logged-out.subscriber';

/** Dropping the sockets of ended sessions: on `user-logged-out`, and by periodic re-check. */
@Module({
  imports: [PresenceModule],
  providers: [ForcedLogout, SessionRecheck, UserLoggedOutSubscriber, RecentEnds],
  exports: [UserLoggedOutSubscriber, ForcedLogout, RecentEnds],
})
export class RevocationModule {}
