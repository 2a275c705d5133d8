import { startSampleBot, type SampleBot, type SampleBotOptions } from '../../../src/cli/sampleBot';
import { ConferenceMedia, startService, type ConferenceMediaOptions, type RunningService } from '../../../src/service';

/** The local service with conference media, and the sample bot registered with it. */
export interface Conference {
  running: RunningService;
  media: ConferenceMedia;
  bot: SampleBot;
  close(): Promise<void>;
}

/**
 * Starts the service with ConferenceMedia and a sample bot that answers its calls: what the
 * media tests (and the console's) build on. `bot` takes the sample bot's options but the
 * service's address; `log` defaults to nothing.
 */
export async function startConference(appId: string, options: { media?: ConferenceMediaOptions; bot?: Omit<SampleBotOptions, 'serviceUrl' | 'appId' | 'appSecret'> } = {}): Promise<Conference> {
  const media = new ConferenceMedia(options.media);
  const running = await startService({ port: 0, mediaBridge: media });
  media.attach(running.service);
  const appSecret = running.service.authority.apps.register({ appId }).secrets[0];
  const bot = await startSampleBot({ log: () => undefined, ...options.bot, serviceUrl: running.url, appId, appSecret });
  running.service.directory.registerBot({ appId, callbackUri: bot.callbackUri, displayName: appId });
  return {
    running,
    media,
    bot,
    async close() {
      media.close();
      await bot.close();
      await running.close();
    },
  };
}
