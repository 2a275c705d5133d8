import { strict as assert } from 'assert';
import { randomUUID } from 'crypto';
import { CommunicationsError, type Call } from '../../src/signaling';
import { APP_HOSTED, bearer, jsonFetch, startBot, startStack, type Stack } from './harness';

const organizer = () => randomUUID();

describe('service: online meetings (/users/{id}/onlineMeetings)', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });

  it("makes a meeting with Graph's shape, gives it back to its organizer only, and finds it by join URL or meeting id", async () => {
    const client = stack.bot.client;
    const who = organizer();
    const start = '2026-12-04T15:00:00.000Z';
    const meeting = await client.createOnlineMeeting(who, { subject: 'Standup', startDateTime: start });
    assert.equal(meeting.subject, 'Standup');
    assert.equal(meeting.startDateTime, start);
    assert.equal(meeting.endDateTime, '2026-12-04T16:00:00.000Z', 'an hour after the start when no end is given');
    assert.ok(meeting.id && meeting.creationDateTime);
    assert.equal(meeting.externalId, null);
    assert.equal(meeting.videoTeleconferenceId, null, "the fields Graph returns as null are there, as null");
    assert.equal(meeting.participants?.organizer?.identity?.user?.id, who);
    assert.equal(meeting.participants?.organizer?.role, 'presenter');

    // The join URL has Teams' shape, so code that parses one (thread, tenant, organizer) works.
    const url = new URL(meeting.joinWebUrl!);
    const [, l, join, thread, message] = url.pathname.split('/');
    assert.deepEqual([l, join, message], ['l', 'meetup-join', '0']);
    assert.equal(decodeURIComponent(thread), meeting.chatInfo?.threadId);
    assert.match(meeting.chatInfo!.threadId!, /^19:meeting_[A-Za-z0-9+/]+@thread\.v2$/);
    assert.deepEqual(JSON.parse(url.searchParams.get('context')!), { Tid: [...stack.svc.service.authority.tenants()][0], Oid: who });
    const settings = meeting.joinMeetingIdSettings!;
    assert.match(settings.joinMeetingId!, /^[1-9]\d{11}$/);
    assert.equal(settings.isPasscodeRequired, true);
    assert.match(settings.passcode!, /^[A-Za-z0-9]{6}$/);

    assert.deepEqual(await client.getOnlineMeeting(who, meeting.id!), meeting);
    await assert.rejects(client.getOnlineMeeting(organizer(), meeting.id!), (err: CommunicationsError) => err.statusCode === 404);
    assert.equal((await client.findOnlineMeeting(who, { joinWebUrl: meeting.joinWebUrl! }))?.id, meeting.id);
    const typed = settings.joinMeetingId!.replace(/(\d{3})(?=\d)/g, '$1 '); // as Teams shows it
    assert.equal((await client.findOnlineMeeting(who, { joinMeetingId: typed }))?.id, meeting.id);
    assert.equal(await client.findOnlineMeeting(organizer(), { joinWebUrl: meeting.joinWebUrl! }), undefined);
  });

  it('makes a meeting with an externalId once: createOrGet answers 201, then 200 with the same meeting', async () => {
    const client = stack.bot.client;
    const who = organizer();
    const first = await client.createOrGetOnlineMeeting(who, { externalId: 'case-7731', subject: 'Claim review' });
    assert.equal(first.created, true);
    assert.equal(first.meeting.externalId, 'case-7731');
    const again = await client.createOrGetOnlineMeeting(who, { externalId: 'case-7731', subject: 'ignored the second time' });
    assert.equal(again.created, false);
    assert.deepEqual(again.meeting, first.meeting);
    const otherOrganizer = await client.createOrGetOnlineMeeting(organizer(), { externalId: 'case-7731' });
    assert.equal(otherOrganizer.created, true, "an external id is the organizer's own");
    assert.notEqual(otherOrganizer.meeting.id, first.meeting.id);
  });

  it('lets a bot join by meeting id and passcode, with the meeting\'s chat, in the same call chain as a bot that joined by thread', async () => {
    const client = stack.bot.client;
    const meeting = await client.createOnlineMeeting(organizer(), { subject: 'Design review' });
    const byId: Call = await client.joinMeeting({ meeting, mediaConfig: APP_HOSTED });
    assert.equal(byId.state, 'established');
    assert.equal(byId.resource.chatInfo?.threadId, meeting.chatInfo?.threadId, 'the call carries the resolved chatInfo');
    const info = byId.resource.meetingInfo as { joinMeetingId?: string; passcode?: string | null };
    assert.equal(info.joinMeetingId, meeting.joinMeetingIdSettings?.joinMeetingId);
    assert.equal(info.passcode, null, 'the passcode is not shown back');

    const other = await startBot(stack.svc.url);
    try {
      const byThread = await other.client.joinMeeting({
        chatInfo: meeting.chatInfo!,
        meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer: meeting.participants!.organizer!.identity! } as never,
        mediaConfig: APP_HOSTED,
      });
      assert.equal(byThread.resource.callChainId, byId.resource.callChainId, 'both joins are calls of one meeting');
    } finally {
      await other.close();
    }

    // A join that cannot be made is placed, then ends with the reason, as Graph's joins do.
    const endsWith = async (joinMeetingId: string, passcode: string | null): Promise<number | undefined> => {
      const meetingInfo = { '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo', joinMeetingId, passcode } as never;
      try {
        await client.joinMeeting({ meetingInfo, mediaConfig: APP_HOSTED });
      } catch (err) {
        assert.equal((err as CommunicationsError).code, 'CALL_TERMINATED');
        return (err as CommunicationsError).resultInfo?.code ?? undefined;
      }
      assert.fail('the join should have ended');
    };
    assert.equal(await endsWith(meeting.joinMeetingIdSettings!.joinMeetingId!, 'wrong1'), 403, 'a wrong passcode');
    assert.equal(await endsWith('100000000000', null), 404, 'a meeting id nobody made');
  });

  it("asks for Graph's permissions, refuses /me for an app and bodies Graph refuses, and changes nothing when it does", async () => {
    const base = `${stack.svc.url}/v1.0`;
    const who = organizer();
    const path = `${base}/users/${who}/onlineMeetings`;
    const callsOnly = await bearer(stack.svc.url, 'calls-only-app', ['Calls.JoinGroupCall.All']);
    const reader = await bearer(stack.svc.url, 'reader-app', ['OnlineMeetings.Read.All']);
    const writer = await bearer(stack.svc.url, 'writer-app', ['OnlineMeetings.ReadWrite.All']);

    const denied = await jsonFetch('POST', path, { subject: 'x' }, callsOnly);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'accessDenied');
    assert.match(denied.body.error.message, /OnlineMeetings\.ReadWrite\.All/);
    assert.equal((await jsonFetch('POST', path, { subject: 'x' }, reader)).status, 403, 'reading is not writing');

    const made = await jsonFetch('POST', path, { subject: 'Weekly' }, writer);
    assert.equal(made.status, 201);
    assert.equal((await jsonFetch('GET', `${path}/${made.body.id}`, undefined, reader)).status, 200);
    assert.equal((await jsonFetch('GET', `${path}/${made.body.id}`, undefined, callsOnly)).status, 403);

    const me = await jsonFetch('POST', `${base}/me/onlineMeetings`, { subject: 'x' }, writer);
    assert.equal(me.status, 400);
    assert.match(me.body.error.message, /only valid with delegated authentication/);
    for (const [body, field] of [
      [{ startDateTime: 'tomorrow' }, /startDateTime/],
      [{ startDateTime: '2026-12-04T15:00:00Z', endDateTime: '2026-12-04T14:00:00Z' }, /endDateTime/],
      [{ participants: { attendees: [{ identity: {} }] } }, /attendees\[0\]\.identity/],
      [{ '@odata.type': '#microsoft.graph.call' }, /@odata\.type/],
    ] as const) {
      const res = await jsonFetch('POST', path, body, writer);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, field);
    }
    assert.equal((await jsonFetch('POST', `${path}/createOrGet`, { subject: 'no external id' }, writer)).status, 400);
    const list = await jsonFetch('GET', `${path}?$filter=${encodeURIComponent("subject eq 'Weekly'")}`, undefined, reader);
    assert.equal(list.status, 400, 'Graph lists meetings only by join URL or meeting id');
    // Only the one meeting was made.
    const found = await jsonFetch('GET', `${path}?$filter=${encodeURIComponent(`JoinWebUrl eq '${made.body.joinWebUrl}'`)}`, undefined, reader);
    assert.deepEqual(found.body.value.map((m: { id: string }) => m.id), [made.body.id]);
  });
});
