// AudioSource (the jitter buffer) through the real decoders (Opus, G.711, L16): packets in any
// order and any distance apart, pulled on the 20 ms clock. The buffer never counts more packets
// than its ring holds, nor more time than that many of the longest packets.
#include "FuzzRtp.h"
#include "audio/AudioSource.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const callmedia::AudioCodec kCodecs[] = {callmedia::AudioCodec::Opus, callmedia::AudioCodec::Pcmu,
                                                  callmedia::AudioCodec::Pcma, callmedia::AudioCodec::L16};
  const callmedia::AudioCodec codec = kCodecs[in.ConsumeIntegralInRange<int>(0, 3)];
  static const int kRates[] = {8000, 16000, 48000};
  const int rate = codec == callmedia::AudioCodec::Opus ? 48000 : codec == callmedia::AudioCodec::L16 ? kRates[in.ConsumeIntegralInRange<int>(0, 2)] : 8000;
  callmedia::AudioSourceStats stats;
  callmedia::AudioSource source(0x1000, codec, rate, &stats);
  if (!source.ok()) return 0;
  fuzz::PacketStream stream;
  uint64_t now = 1000000000;
  int16_t pcm[callmedia::AudioSource::kFrameSamples];
  callmedia::RtpPacket p;
  while (stream.Next(in, 111, &p)) {
    // Jumps of any size, both ways, as a broken or restarted sender makes them.
    if (in.ConsumeIntegralInRange<int>(0, 20) == 0) stream.seq = in.ConsumeIntegral<uint16_t>();
    source.Insert(p, in.ConsumeIntegralInRange<int>(-1, 127), now);
    using callmedia::AudioSource;
    FUZZ_CHECK(source.bufferedPackets() <= AudioSource::kSlots);
    // Packets of any length from 1 byte to an MTU: the time is bounded by the longest ones
    // (and the decoded remainder of the packet being played).
    FUZZ_CHECK(source.depthMs() <= (AudioSource::kSlots + 1) * AudioSource::kMaxPacketMs);
    if (in.ConsumeBool()) {
      source.Pull(pcm, now);
      now += 20000000;
    }
  }
  return 0;
}
