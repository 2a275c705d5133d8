/**
 * The sample bot as a program of its own, against a running local service:
 *
 *   npm run serve                      # prints the development app's id and secret
 *   node dist/examples/bot.js --app callmedia-dev-bot --secret <secret> [--service URL] [--greeting FILE]
 *   npm run cli -- call callmedia-dev-bot --from Alice   # someone calls the bot
 *   npm run cli -- join <callId> --name Bob              # and someone else joins
 *
 * The bot (src/cli/sampleBot.ts) answers with its own media, watches each camera on a video
 * socket of its own and logs who speaks and the keys pressed. This file only starts it and tells
 * the service where its webhook is, as a bot's deployment registers its calling webhook.
 */
import { startSampleBot } from '../src/cli/sampleBot';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const serviceUrl = (option('--service') ?? 'http://127.0.0.1:9440').replace(/\/$/, '');
  const appId = option('--app') ?? 'callmedia-dev-bot';
  const appSecret = option('--secret') ?? process.env.CALLMEDIA_APP_SECRET;
  if (!appSecret) throw new Error('--secret (or CALLMEDIA_APP_SECRET) is needed: `npm run serve` prints the development app\'s secret');
  const bot = await startSampleBot({ serviceUrl, appId, appSecret, greeting: option('--greeting') });
  const res = await fetch(`${serviceUrl}/admin/bots`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId, callbackUri: bot.callbackUri, displayName: 'Sample bot' }),
  });
  if (!res.ok) throw new Error(`registering the bot's webhook: ${res.status} ${await res.text()}`);
  console.log(`sample bot ${appId}: webhook ${bot.callbackUri}, waiting for calls (Ctrl-C stops)`);
  process.once('SIGINT', () => {
    void bot.close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(`sample bot: ${(err as Error).message}`);
  process.exit(1);
});
