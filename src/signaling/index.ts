export {
  CommunicationsClient,
  joinMeetingIdMeetingInfo,
  type CommunicationsClientOptions,
  type CreateCallOptions,
  type JoinMeetingOptions,
  type OnlineMeetingRequest,
} from './CommunicationsClient';
export { Call, type AnswerOptions, type AudioRoutingGroupInput, type RedirectOptions, type RecordResponseOptions, type ParticipantsChange } from './Call';
export { Participant } from './Participant';
export { WebhookReceiver, type WebhookRejection } from './WebhookReceiver';
export {
  NotificationVerifier,
  NotificationAuthError,
  GRAPH_NOTIFICATION_AUTH,
  type NotificationAuthOptions,
  type NotificationAuthFailure,
} from './NotificationVerifier';
export { BearerTokenHandler } from './BearerTokenHandler';
export { StaticTokenProvider, ClientCredentialsTokenProvider, type ClientCredentialsOptions } from './tokenProviders';
export { CommunicationsError, type CommunicationsErrorCode, type GraphErrorDetail } from './errors';
export { GraphTransport, type GraphVersion } from './GraphTransport';
export { DEFAULT_SERVICE_PORT, DEFAULT_SERVICE_URL, DEFAULT_TENANT_ID, GRAPH_BASE_URL } from './defaults';
export {
  appHostedMediaConfig,
  serviceHostedMediaConfig,
  mediaPrompt,
  type AppHostedMediaConfig,
  type ServiceHostedMediaConfig,
  type MediaConfig,
  type CommsOperation,
  type CommsOperationStatus,
  type RecordOperation,
  type InviteParticipantsOperation,
  type CommsNotification,
  type CommsNotifications,
} from './types';
