// NackGenerator and RetransmissionBuffer, the two ends of NACK: sequence numbers in any order,
// gaps, wraps and restarts, at any times. The list of holes never grows past its bound, a
// request names only packets that never arrived, nothing is asked for more often than allowed,
// and every packet asked for is found in the sender's buffer byte for byte while it is young.
#include <cstring>
#include <map>

#include "FuzzRtp.h"
#include "rtp/NackGenerator.h"
#include "rtp/RetransmissionBuffer.h"
#include "rtp/SeqManager.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  callmedia::NackOptions options;
  options.maxMissing = in.ConsumeIntegralInRange<size_t>(1, 512);
  options.maxRetries = in.ConsumeIntegralInRange<uint32_t>(1, 10);
  callmedia::NackGenerator nack(options);
  callmedia::RetransmissionBuffer sent(1024, 1'000'000'000);
  // What arrived, by its place in the extended sequence (RFC 3550 A.1): after a wrap the same
  // number names another packet. A packet over 1000 behind the newest is a sender that
  // restarted its numbering, which starts the extended sequence over.
  std::map<uint16_t, int64_t> arrived;
  bool started = false;
  uint16_t newest = 0;
  int64_t extendedNewest = 0;
  uint64_t now = 0;
  uint16_t seq = in.ConsumeIntegral<uint16_t>();
  auto extended = [&](uint16_t s) { return extendedNewest + callmedia::SeqManager::Diff(s, newest); };
  auto receive = [&](uint16_t s) {
    const int32_t ahead = callmedia::SeqManager::Diff(s, newest);
    if (!started || ahead < -1000) {
      arrived.clear();
      newest = s;
      extendedNewest += 1 << 20;  // a new stream: nothing before it is the same packet
    } else if (ahead > 0) {
      newest = s;
      extendedNewest += ahead;
    }
    started = true;
    nack.OnPacket(s, now);
    arrived[s] = extended(s);
  };
  auto hasArrived = [&](uint16_t s) {
    auto it = arrived.find(s);
    return it != arrived.end() && it->second == extended(s);
  };
  uint8_t packet[64] = {0x80, 96};
  while (in.remaining_bytes() > 0) {
    now += in.ConsumeIntegralInRange<uint64_t>(0, 50'000'000);
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:  // the next packets, some lost on the way
        for (int n = in.ConsumeIntegralInRange<int>(1, 40); n > 0; --n, ++seq) {
          packet[2] = seq >> 8;
          packet[3] = seq & 0xFF;
          sent.Store(packet, sizeof(packet), seq, now);
          if (in.ConsumeIntegralInRange<int>(0, 9) == 0) continue;
          receive(seq);
        }
        break;
      case 1: {  // a late, duplicate or retransmitted packet
        receive(static_cast<uint16_t>(seq - in.ConsumeIntegralInRange<uint16_t>(1, 1200)));
        break;
      }
      case 2:  // a jump: a gap, or a sender that started over
        seq = static_cast<uint16_t>(seq + in.ConsumeIntegral<uint16_t>());
        receive(seq++);
        break;
      default: {  // the timer: what to ask for
        uint16_t due[64];
        const size_t capacity = in.ConsumeIntegralInRange<size_t>(0, 64);
        const size_t n = nack.Due(now, in.ConsumeIntegralInRange<uint64_t>(0, 300'000'000), due, capacity);
        FUZZ_CHECK(n <= capacity);
        for (size_t i = 0; i < n; ++i) {
          FUZZ_CHECK(!hasArrived(due[i]));
          size_t found = 0;
          const uint8_t* p = sent.TakeForResend(due[i], now, &found);
          if (p) FUZZ_CHECK(found == sizeof(packet) && p[2] == (due[i] >> 8) && p[3] == (due[i] & 0xFF));
          FUZZ_CHECK(sent.TakeForResend(due[i], now, &found) == nullptr);  // not twice at once
        }
        break;
      }
    }
    FUZZ_CHECK(nack.missing() <= options.maxMissing);
    const callmedia::NackStats& s = nack.stats();
    FUZZ_CHECK(s.recovered <= s.requested && s.gaveUp <= s.requested);
  }
  return 0;
}
