import type {
  ChangeType,
  CommsOperation as GraphCommsOperation,
  InvitationParticipantInfo,
  MediaInfo,
  ResultInfo,
} from '@microsoft/microsoft-graph-types';

/** Operation status as Graph sends it. (The typings' PascalCase enum does not match the wire.) */
export type CommsOperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';

/** A Graph `commsOperation` (or subtype) as received: its id, status, clientContext, resultInfo. */
export interface CommsOperation extends Omit<GraphCommsOperation, 'status'> {
  '@odata.type'?: string;
  status?: CommsOperationStatus | null;
  [property: string]: unknown;
}

/** `recordOperation`: where to fetch the recording and why it ended. */
export interface RecordOperation extends CommsOperation {
  recordingLocation?: string | null;
  recordingAccessToken?: string | null;
  completionReason?: string | null;
}

export interface InviteParticipantsOperation extends CommsOperation {
  participants?: InvitationParticipantInfo[];
}

/** One entry of a `commsNotifications` body. */
export interface CommsNotification {
  '@odata.type'?: string;
  changeType: ChangeType;
  resource?: string;
  resourceUrl?: string;
  resourceData: unknown;
}

export interface CommsNotifications {
  '@odata.type'?: string;
  value: CommsNotification[];
}

export type { ResultInfo };

/** `appHostedMediaConfig`: the bot runs the media; `blob` is the media session's configuration. */
export interface AppHostedMediaConfig {
  '@odata.type': '#microsoft.graph.appHostedMediaConfig';
  blob: string;
}

/** `serviceHostedMediaConfig`: the service runs the media (prompts, recording, DTMF). */
export interface ServiceHostedMediaConfig {
  '@odata.type': '#microsoft.graph.serviceHostedMediaConfig';
  preFetchMedia?: MediaInfo[];
}

export type MediaConfig = AppHostedMediaConfig | ServiceHostedMediaConfig;

export function appHostedMediaConfig(blob: string): AppHostedMediaConfig {
  return { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob };
}

export function serviceHostedMediaConfig(preFetchMedia?: MediaInfo[]): ServiceHostedMediaConfig {
  return preFetchMedia
    ? { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig', preFetchMedia }
    : { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' };
}

/** A media prompt from a file or http(s) URI. */
export function mediaPrompt(uri: string, resourceId?: string): { '@odata.type': '#microsoft.graph.mediaPrompt'; mediaInfo: MediaInfo } {
  return { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: resourceId ? { uri, resourceId } : { uri } };
}
