import { MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { clientEvents, type ClientEventName, type ClientPayloadEventName } from '@app/contracts';
import { ZodValidationPipe } from '@app/http';

/** Handles the client event `name`, as declared in the contracts' `clientEvents` table. */
export const OnClientEvent = (name: ClientEventName): MethodDecorator => SubscribeMessage(name);

/** The payload of event `name`, validated with the schema the table declares for it. */
export const ClientPayload = (name: ClientPayloadEventName): ParameterDecorator => MessageBody(new ZodValidationPipe(clientEvents[name].payload));
