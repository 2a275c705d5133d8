import type { ChatInfo, MeetingParticipantInfo, OnlineMeeting, ResultInfo } from '@microsoft/microsoft-graph-types';
import { randomBytes, randomInt, randomUUID } from 'crypto';
import { GraphError } from './model/GraphError';
import * as v from './model/validate';

type Body = Record<string, unknown>;

/** One online meeting the service made, as Graph keeps it. */
interface MeetingRecord {
  id: string;
  organizerId: string;
  tenantId: string;
  externalId: string | null;
  subject: string | null;
  creationDateTime: string;
  startDateTime: string;
  endDateTime: string;
  threadId: string;
  joinMeetingId: string;
  passcode: string | null;
  isPasscodeRequired: boolean;
  attendees: MeetingParticipantInfo[];
}

/** What a join by meeting id came to: the meeting's chat, or why the call cannot join. */
export type MeetingJoin = { chatInfo: ChatInfo } | { refused: ResultInfo };

const HOUR_MS = 3600_000;
/** Meetings kept; the oldest go first past this, so a long-running service stays bounded. */
const MEETINGS_KEPT = 10_000;
/** Graph takes at most this many attendees in a create request. */
const MAX_ATTENDEES = 1000;

/**
 * Graph's online meetings (`/users/{userId}/onlineMeetings`): create, createOrGet by external id,
 * get, and find by join URL or meeting id. Each meeting has a chat thread, a join URL of the
 * Teams shape (`…/l/meetup-join/{thread}/0?context={"Tid","Oid"}`, on the service's host, so code
 * that parses a join URL works unchanged), and a meeting id with a passcode that a bot can join
 * by (`joinMeetingIdMeetingInfo`). A bot that joins by id is given the meeting's chatInfo.
 */
export class OnlineMeetings {
  private readonly byId = new Map<string, MeetingRecord>();
  private readonly byExternalId = new Map<string, MeetingRecord>();
  private readonly byJoinMeetingId = new Map<string, MeetingRecord>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly tenantId: string,
  ) {}

  /** POST /users/{userId}/onlineMeetings */
  create(organizerId: string, body: Body): OnlineMeeting {
    return this.toGraph(this.add(organizerId, body, v.optionalString(body, 'externalId', 256) ?? null));
  }

  /**
   * POST /users/{userId}/onlineMeetings/createOrGet: the organizer's meeting with this externalId,
   * made now (`created`) or as it was first made (the rest of the body is then ignored, as Graph
   * does).
   */
  createOrGet(organizerId: string, body: Body): { meeting: OnlineMeeting; created: boolean } {
    const externalId = v.requireString(body, 'externalId');
    if (externalId.length > 256) throw GraphError.badRequest(`'externalId' must be at most 256 characters`);
    const existing = this.byExternalId.get(externalKey(organizerId, externalId));
    if (existing) return { meeting: this.toGraph(existing), created: false };
    return { meeting: this.toGraph(this.add(organizerId, body, externalId)), created: true };
  }

  /** GET /users/{userId}/onlineMeetings/{meetingId}: only the organizer's own. */
  get(organizerId: string, meetingId: string): OnlineMeeting {
    const m = this.byId.get(meetingId);
    if (!m || m.organizerId !== organizerId) throw GraphError.notFound(`The online meeting '${meetingId}' was not found.`);
    return this.toGraph(m);
  }

  /**
   * GET /users/{userId}/onlineMeetings?$filter=…: Graph lists meetings only by a filter on
   * `JoinWebUrl` or `joinMeetingIdSettings/joinMeetingId`, each `eq '<value>'`.
   */
  find(organizerId: string, filter: string | null): OnlineMeeting[] {
    const m = /^\s*(joinWebUrl|joinMeetingIdSettings\/joinMeetingId)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter ?? '');
    if (!m) {
      throw GraphError.badRequest(`Listing online meetings needs $filter=JoinWebUrl eq '<url>' or $filter=joinMeetingIdSettings/joinMeetingId eq '<id>'.`);
    }
    const value = m[2].replace(/''/g, "'");
    const found = m[1].toLowerCase() === 'joinweburl'
      ? [...this.byId.values()].find((r) => this.joinWebUrl(r) === value)
      : this.byJoinMeetingId.get(digits(value));
    return found && found.organizerId === organizerId ? [this.toGraph(found)] : [];
  }

  /**
   * A bot joins by meeting id (and passcode): the meeting's chat thread, or the result a call that
   * cannot join ends with. The id may be typed with spaces, as Teams shows it.
   */
  join(joinMeetingId: string, passcode: unknown): MeetingJoin {
    const m = this.byJoinMeetingId.get(digits(joinMeetingId));
    if (!m) return { refused: { code: 404, subcode: 0, message: `No meeting has the id '${joinMeetingId}'.` } };
    if (m.isPasscodeRequired && passcode !== m.passcode) {
      return { refused: { code: 403, subcode: 0, message: `The passcode does not match the meeting '${joinMeetingId}'.` } };
    }
    return { chatInfo: chatInfoOf(m) };
  }

  private add(organizerId: string, body: Body, externalId: string | null): MeetingRecord {
    v.odataType(body, '', 'onlineMeeting');
    const subject = v.optionalString(body, 'subject', 1024) ?? null;
    const { start, end } = meetingTimes(body);
    const settings = v.object(body, 'joinMeetingIdSettings', 'joinMeetingIdSettings');
    const isPasscodeRequired = settings ? v.optionalBoolean(settings, 'isPasscodeRequired') ?? true : true;
    const record: MeetingRecord = {
      id: '',
      organizerId,
      tenantId: this.tenantId,
      externalId,
      subject,
      creationDateTime: new Date().toISOString(),
      startDateTime: start,
      endDateTime: end,
      threadId: `19:meeting_${Buffer.from(randomUUID()).toString('base64').replace(/=+$/, '')}@thread.v2`,
      joinMeetingId: this.newJoinMeetingId(),
      passcode: isPasscodeRequired ? newPasscode() : null,
      isPasscodeRequired,
      attendees: attendeesOf(body),
    };
    // Graph's ids carry the organizer and the thread; the service's are of the same make.
    record.id = Buffer.from(`1*${organizerId}*0**${record.threadId}`).toString('base64url');
    if (this.byId.size >= MEETINGS_KEPT) this.forget(this.byId.values().next().value as MeetingRecord);
    this.byId.set(record.id, record);
    this.byJoinMeetingId.set(record.joinMeetingId, record);
    if (externalId !== null) this.byExternalId.set(externalKey(organizerId, externalId), record);
    return record;
  }

  private forget(m: MeetingRecord): void {
    this.byId.delete(m.id);
    this.byJoinMeetingId.delete(m.joinMeetingId);
    if (m.externalId !== null) this.byExternalId.delete(externalKey(m.organizerId, m.externalId));
  }

  /** Twelve digits, as Teams' meeting ids, unique among the meetings kept. */
  private newJoinMeetingId(): string {
    for (;;) {
      const id = `${randomInt(1, 10)}${String(randomInt(0, 1e11)).padStart(11, '0')}`;
      if (!this.byJoinMeetingId.has(id)) return id;
    }
  }

  private joinWebUrl(m: MeetingRecord): string {
    const context = encodeURIComponent(JSON.stringify({ Tid: m.tenantId, Oid: m.organizerId }));
    return `${this.baseUrl()}/l/meetup-join/${encodeURIComponent(m.threadId)}/0?context=${context}`;
  }

  private toGraph(m: MeetingRecord): OnlineMeeting & { '@odata.type': string } {
    return {
      '@odata.type': '#microsoft.graph.onlineMeeting',
      id: m.id,
      creationDateTime: m.creationDateTime,
      startDateTime: m.startDateTime,
      endDateTime: m.endDateTime,
      joinWebUrl: this.joinWebUrl(m),
      subject: m.subject,
      externalId: m.externalId,
      isBroadcast: false,
      broadcastSettings: null,
      autoAdmittedUsers: 'everyoneInCompany',
      allowedPresenters: 'everyone',
      allowMeetingChat: 'enabled',
      allowTeamworkReactions: true,
      allowAttendeeToEnableCamera: true,
      allowAttendeeToEnableMic: true,
      allowRecording: true,
      allowTranscription: true,
      isEntryExitAnnounced: false,
      recordAutomatically: false,
      videoTeleconferenceId: null,
      meetingTemplateId: null,
      audioConferencing: null,
      chatRestrictions: null,
      watermarkProtection: null,
      joinInformation: null,
      lobbyBypassSettings: { scope: 'organization', isDialInBypassEnabled: false },
      joinMeetingIdSettings: { isPasscodeRequired: m.isPasscodeRequired, joinMeetingId: m.joinMeetingId, passcode: m.passcode },
      chatInfo: chatInfoOf(m),
      participants: {
        organizer: {
          identity: { user: { id: m.organizerId, displayName: null, tenantId: m.tenantId, identityProvider: 'AAD' } as never },
          upn: null,
          role: 'presenter',
        },
        attendees: m.attendees,
      },
    } as OnlineMeeting & { '@odata.type': string };
  }
}

function chatInfoOf(m: MeetingRecord): ChatInfo {
  return { threadId: m.threadId, messageId: '0', replyChainMessageId: null };
}

function externalKey(organizerId: string, externalId: string): string {
  return `${organizerId}\n${externalId}`;
}

function digits(id: string): string {
  return id.replace(/\s+/g, '');
}

/** Six characters of letters and digits, as Teams' passcodes. */
function newPasscode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Graph's defaults: start now and end an hour after the start; either alone sets the other an hour away. */
function meetingTimes(body: Body): { start: string; end: string } {
  const time = (field: string): number | undefined => {
    const s = v.optionalString(body, field, 64);
    if (s === undefined) return undefined;
    const t = Date.parse(s);
    if (!Number.isFinite(t)) throw GraphError.badRequest(`'${field}' must be a date and time (ISO 8601), not '${s}'`);
    return t;
  };
  const startMs = time('startDateTime');
  const endMs = time('endDateTime');
  const start = startMs ?? (endMs !== undefined ? endMs - HOUR_MS : Date.now());
  const end = endMs ?? start + HOUR_MS;
  if (end <= start) throw GraphError.badRequest(`'endDateTime' must be after 'startDateTime'`);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
}

function attendeesOf(body: Body): MeetingParticipantInfo[] {
  const participants = v.object(body, 'participants', 'meetingParticipants');
  if (!participants || participants.attendees === undefined || participants.attendees === null) return [];
  if (!Array.isArray(participants.attendees)) throw GraphError.badRequest(`'participants.attendees' must be an array`);
  if (participants.attendees.length > MAX_ATTENDEES) throw GraphError.badRequest(`'participants.attendees' takes at most ${MAX_ATTENDEES}`);
  return participants.attendees.map((a: unknown, i: number) => {
    if (!a || typeof a !== 'object' || Array.isArray(a)) throw GraphError.badRequest(`'participants.attendees[${i}]' must be an object`);
    const entry = a as Body;
    const identity = v.identitySet(entry.identity, `participants.attendees[${i}].identity`);
    const role = v.enumValue(entry, 'role', ['attendee', 'presenter', 'producer', 'coorganizer'] as const, false) ?? 'attendee';
    return { identity, upn: v.optionalString(entry, 'upn', 256) ?? null, role } as MeetingParticipantInfo;
  });
}
