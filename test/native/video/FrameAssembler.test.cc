#include "video/FrameAssembler.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "common/Clock.h"
#include "rtp/RtpBytes.h"
#include "rtp/RtpPacket.h"

using callmedia::AssembledFrame;
using callmedia::FrameAssembler;
using callmedia::RtpPacket;
using testrtp::BuildRtp;
using testrtp::ExactBuffer;
using testrtp::RtpSpec;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kWindow = 50 * kMs;
constexpr uint64_t kT0 = 1000 * kMs;  // 0 would read as "no gap yet" inside the assembler
constexpr uint32_t kSsrc = 0x5EED5EED;
constexpr size_t kMaxPayload = 1000;

struct TestPacket {
  Bytes bytes;  // the whole RTP packet
  uint16_t seq;
  size_t frame;  // index of the frame it belongs to
};

struct TestFrame {
  Bytes annexB;  // what the assembler must hand over
  uint32_t ts;
  bool key;
  std::vector<size_t> packets;  // indexes into Stream::packets
};

struct Stream {
  std::vector<TestFrame> frames;
  std::vector<TestPacket> packets;
};

Bytes Nal(uint8_t header, size_t size, uint32_t salt) {
  Bytes nal(size);
  nal[0] = header;
  for (size_t i = 1; i < size; ++i) nal[i] = static_cast<uint8_t>((i * 31 + salt * 17) % 251 + 1);
  return nal;
}

// RFC 6184 packetization mode 1: whole NAL units when they fit, FU-A fragments otherwise;
// the marker goes on the last packet of the access unit.
class Sender {
 public:
  Sender(Stream* stream, uint16_t firstSeq, uint32_t ssrc, uint32_t firstTs)
      : stream_(stream), seq_(firstSeq), ssrc_(ssrc), ts_(firstTs) {}

  void Frame(const std::vector<Bytes>& nals, bool key, bool marker = true) {
    TestFrame frame;
    frame.ts = ts_;
    frame.key = key;
    std::vector<Bytes> payloads;
    for (const Bytes& nal : nals) {
      frame.annexB.insert(frame.annexB.end(), {0, 0, 0, 1});
      frame.annexB.insert(frame.annexB.end(), nal.begin(), nal.end());
      if (nal.size() <= kMaxPayload) {
        payloads.push_back(nal);
        continue;
      }
      const uint8_t indicator = static_cast<uint8_t>((nal[0] & 0xE0) | 28);
      for (size_t at = 1; at < nal.size();) {
        const size_t chunk = std::min(kMaxPayload - 2, nal.size() - at);
        uint8_t header = nal[0] & 0x1F;
        if (at == 1) header |= 0x80;
        if (at + chunk == nal.size()) header |= 0x40;
        Bytes p = {indicator, header};
        p.insert(p.end(), nal.begin() + at, nal.begin() + at + chunk);
        payloads.push_back(p);
        at += chunk;
      }
    }
    for (size_t i = 0; i < payloads.size(); ++i) {
      RtpSpec spec;
      spec.seq = seq_;
      spec.timestamp = ts_;
      spec.ssrc = ssrc_;
      spec.marker = marker && i + 1 == payloads.size();
      spec.payload = payloads[i];
      frame.packets.push_back(stream_->packets.size());
      stream_->packets.push_back({BuildRtp(spec), seq_, stream_->frames.size()});
      ++seq_;
    }
    stream_->frames.push_back(frame);
    ts_ += 3000;  // 30 fps at 90 kHz
  }

  // K: SPS + PPS + a 3.5 kB IDR (four FU-A packets), six packets in all.
  // P: a 300-byte slice in one packet.  Q: a 2.4 kB slice in three FU-A packets.
  void Pattern(const std::string& pattern) {
    for (char c : pattern) {
      const uint32_t salt = static_cast<uint32_t>(stream_->frames.size());
      if (c == 'K') Frame({Nal(0x67, 10, salt), Nal(0x68, 5, salt), Nal(0x65, 3500, salt)}, true);
      if (c == 'P') Frame({Nal(0x41, 300, salt)}, false);
      if (c == 'Q') Frame({Nal(0x41, 2400, salt)}, false);
    }
  }

  uint16_t seq() const { return seq_; }
  void set_seq(uint16_t seq) { seq_ = seq; }

 private:
  Stream* stream_;
  uint16_t seq_;
  uint32_t ssrc_;
  uint32_t ts_;
};

Stream MakeStream(const std::string& pattern, uint16_t firstSeq = 1000, uint32_t ssrc = kSsrc,
                  uint32_t firstTs = 90000) {
  Stream s;
  Sender sender(&s, firstSeq, ssrc, firstTs);
  sender.Pattern(pattern);
  return s;
}

struct Collector : FrameAssembler::Listener {
  struct Frame {
    Bytes data;
    uint32_t ts;
    uint32_t ssrc;
    bool key;
    uint64_t firstNs, lastNs, assembledNs;
  };
  std::vector<Frame> frames;
  int keyFrameRequests = 0;

  void OnFrameAssembled(const AssembledFrame& f) override {
    frames.push_back({Bytes(f.data, f.data + f.size), f.timestamp, f.ssrc, f.keyFrame, f.firstPacketNs, f.lastPacketNs,
                      f.assembledNs});
  }
  void OnKeyFrameNeeded() override { ++keyFrameRequests; }

  std::vector<uint32_t> Timestamps() const {
    std::vector<uint32_t> ts;
    for (const auto& f : frames) ts.push_back(f.ts);
    return ts;
  }
};

// Feeds one packet through the real parser, from an exact-size copy.
void Insert(FrameAssembler& a, const Bytes& bytes, uint64_t nowNs) {
  ExactBuffer buf(bytes);
  RtpPacket p;
  if (!RtpPacket::Parse(buf.data(), buf.size(), &p)) {
    CHECK_MSG(false, "test packet does not parse");
    return;
  }
  a.Insert(p, nowNs);
}

// Inserts the stream's packets in `order`, one every `stepNs`, the timer run after each; returns
// the time after the last.
uint64_t Feed(FrameAssembler& a, const Stream& s, const std::vector<size_t>& order, uint64_t now, uint64_t stepNs) {
  for (size_t i : order) {
    Insert(a, s.packets[i].bytes, now);
    a.OnTimer(now);
    now += stepNs;
  }
  return now;
}

std::vector<uint32_t> TimestampsOf(const Stream& s, std::initializer_list<size_t> frames) {
  std::vector<uint32_t> ts;
  for (size_t f : frames) ts.push_back(s.frames[f].ts);
  return ts;
}

// Frame indexes of a single-sender stream (timestamps start at 90000, one frame per 3000).
std::string Describe(const std::vector<uint32_t>& ts) {
  std::string out = "frames [";
  for (size_t i = 0; i < ts.size(); ++i)
    out += (i ? " " : "") + std::to_string((static_cast<int64_t>(ts[i]) - 90000) / 3000);
  return out + "]";
}

#define CHECK_FRAMES(collector, expected)                                                       \
  CHECK_MSG((collector).Timestamps() == (expected),                                             \
            "got " + Describe((collector).Timestamps()) + " want " + Describe(expected))

// The frames delivered must be exactly the stream's frames with those timestamps.
void CheckContents(const Collector& c, const Stream& s) {
  for (const auto& got : c.frames) {
    auto it = std::find_if(s.frames.begin(), s.frames.end(), [&](const TestFrame& f) { return f.ts == got.ts; });
    if (it == s.frames.end()) {
      CHECK_MSG(false, "unknown timestamp " + std::to_string(got.ts));
      continue;
    }
    CHECK_EQ(got.data, it->annexB);
    CHECK_EQ(got.key, it->key);
  }
}

}  // namespace

TEST(FrameAssembler_InOrderDeliversEveryFrame) {
  const Stream s = MakeStream("KPQPQKPQ");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  std::vector<uint64_t> arrival, clockBefore, clockAfter;
  for (const auto& p : s.packets) {
    arrival.push_back(now);
    clockBefore.push_back(callmedia::NowNs());
    Insert(a, p.bytes, now);
    clockAfter.push_back(callmedia::NowNs());
    a.OnTimer(now);
    now += kMs;
  }
  REQUIRE(c.frames.size() == s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i) {
    CHECK_EQ(c.frames[i].data, s.frames[i].annexB);
    CHECK_EQ(c.frames[i].ts, s.frames[i].ts);
    CHECK_EQ(c.frames[i].key, s.frames[i].key);
    CHECK_EQ(c.frames[i].ssrc, kSsrc);
    CHECK_EQ(c.frames[i].firstNs, arrival[s.frames[i].packets.front()]);
    CHECK_EQ(c.frames[i].lastNs, arrival[s.frames[i].packets.back()]);
    // The assembled stamp is taken from the monotonic clock when the frame is handed over, i.e.
    // during the Insert of its last packet.
    const size_t last = s.frames[i].packets.back();
    CHECK(c.frames[i].assembledNs >= clockBefore[last] && c.frames[i].assembledNs <= clockAfter[last]);
  }
  const auto& st = a.stats();
  CHECK_EQ(st.framesAssembled.load(), s.frames.size());
  CHECK_EQ(st.framesIncomplete.load(), 0u);
  CHECK_EQ(st.framesMalformed.load(), 0u);
  CHECK_EQ(st.framesWaitingKeyFrame.load(), 0u);
  CHECK_EQ(st.packetsLate.load(), 0u);
  CHECK_EQ(st.packetsDuplicate.load(), 0u);
  CHECK_EQ(st.packetsDiscarded.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
  CHECK(!a.waitingKeyFrame());
}

TEST(FrameAssembler_FrameIsHeldUntilItsLastPacket) {
  const Stream s = MakeStream("KP");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  const auto& key = s.frames[0].packets;
  for (size_t i = 0; i + 1 < key.size(); ++i) Insert(a, s.packets[key[i]].bytes, kT0);
  CHECK(c.frames.empty());
  a.OnTimer(kT0 + 10 * kWindow);  // nothing is missing, only not sent yet: no loss
  CHECK(c.frames.empty());
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  Insert(a, s.packets[key.back()].bytes, kT0 + 10 * kWindow);
  CHECK_EQ(c.frames.size(), 1);
}

TEST(FrameAssembler_JoiningMidStreamWaitsForAKeyFrame) {
  const Stream s = MakeStream("PQPKPQ");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) Insert(a, p.bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {3, 4, 5}));
  CheckContents(c, s);
  REQUIRE(!c.frames.empty());
  CHECK(c.frames[0].key);
}

TEST(FrameAssembler_ReorderedPacketsInsideTheWindow) {
  const Stream s = MakeStream("KPQPQKPQQ");
  // Keep the first packet first (it anchors the buffer), swap neighbours everywhere else,
  // and hold a few packets back by several positions, across frame boundaries.
  std::vector<size_t> order(s.packets.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = 1; i + 1 < order.size(); i += 2) std::swap(order[i], order[i + 1]);
  for (size_t from : {4u, 11u, 17u}) {
    const size_t to = std::min(from + 5, order.size() - 1);
    std::rotate(order.begin() + from, order.begin() + from + 1, order.begin() + to + 1);
  }
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  Feed(a, s, order, kT0, kMs);
  REQUIRE(c.frames.size() == s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i) {
    CHECK_EQ(c.frames[i].ts, s.frames[i].ts);
    CHECK_EQ(c.frames[i].data, s.frames[i].annexB);
  }
  CHECK_EQ(a.stats().packetsLate.load(), 0u);
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
}

// A network that reorders does it from the first packet on: whatever order the first key
// frame's six packets (SPS, PPS, four FU-A) arrive in, nothing is late and every frame is
// delivered whole, the first one with its parameter sets.
TEST(FrameAssembler_ReorderedFromTheFirstPacket) {
  const Stream s = MakeStream("KPQP");
  std::vector<size_t> first(s.frames[0].packets);
  std::sort(first.begin(), first.end());
  size_t permutations = 0;
  do {
    Collector c;
    FrameAssembler a(&c, 256, kWindow);
    std::vector<size_t> rest;
    for (size_t i = first.size(); i < s.packets.size(); ++i) rest.push_back(i);
    const uint64_t now = Feed(a, s, rest, Feed(a, s, first, kT0, 2 * kMs), 2 * kMs);
    a.OnTimer(now + kWindow);
    CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 3}));
    CheckContents(c, s);
    CHECK_EQ(a.stats().packetsLate.load(), 0u);
    CHECK_EQ(a.stats().packetsDiscarded.load(), 0u);
    CHECK_EQ(c.keyFrameRequests, 0);
    ++permutations;
  } while (std::next_permutation(first.begin(), first.end()));
  CHECK_EQ(permutations, 720u);
}

// Later frames complete before the key frame's first packets: they wait for it, rather than
// become the stream's start and leave the key frame's packets late.
TEST(FrameAssembler_LaterFramesCompleteBeforeTheFirstKeyFrame) {
  const Stream s = MakeStream("KPQ");
  const auto& k = s.frames[0].packets;
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t i = 3; i < s.packets.size(); ++i) Insert(a, s.packets[i].bytes, now += kMs);
  for (size_t i : {k[2], k[1], k[0]}) Insert(a, s.packets[i].bytes, now += kMs);
  a.OnTimer(now += kWindow);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2}));
  CheckContents(c, s);
  CHECK_EQ(a.stats().packetsLate.load() + a.stats().packetsDiscarded.load(), 0u);
}

// The IDR's packets all came, its parameter sets not yet: the first frame waits for them (up to
// the reorder window), rather than go to the decoder without them.
TEST(FrameAssembler_FirstKeyFrameWaitsForItsParameterSets) {
  const Stream s = MakeStream("KP");
  const auto& k = s.frames[0].packets;
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  for (size_t i = 2; i < k.size(); ++i) Insert(a, s.packets[k[i]].bytes, kT0);
  a.OnTimer(kT0 + kWindow / 2);
  CHECK(c.frames.empty());
  Insert(a, s.packets[k[1]].bytes, kT0 + kWindow / 2);
  Insert(a, s.packets[k[0]].bytes, kT0 + kWindow / 2 + kMs);
  REQUIRE(c.frames.size() == 1);
  CHECK_EQ(c.frames[0].data, s.frames[0].annexB);

  // When they never come (a sender that signals them out of band), the IDR goes alone.
  Collector alone;
  FrameAssembler b(&alone, 256, kWindow);
  for (size_t i = 2; i < k.size(); ++i) Insert(b, s.packets[k[i]].bytes, kT0);
  b.OnTimer(kT0 + kWindow - kMs);
  CHECK(alone.frames.empty());
  b.OnTimer(kT0 + kWindow);
  REQUIRE(alone.frames.size() == 1);
  CHECK(alone.frames[0].key);
  // Once a frame is out, an earlier packet is late.
  Insert(b, s.packets[k[0]].bytes, kT0 + kWindow + kMs);
  CHECK_EQ(b.stats().packetsLate.load(), 1u);
}

TEST(FrameAssembler_NextFrameArrivingBeforeTheMarkerPacket) {
  const Stream s = MakeStream("KQQ");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  const auto& k = s.frames[0].packets;
  for (size_t i = 0; i + 1 < k.size(); ++i) Insert(a, s.packets[k[i]].bytes, kT0);
  for (size_t i : s.frames[1].packets) Insert(a, s.packets[i].bytes, kT0 + kMs);
  CHECK(c.frames.empty());
  Insert(a, s.packets[k.back()].bytes, kT0 + 2 * kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1}));
  for (size_t i : s.frames[2].packets) Insert(a, s.packets[i].bytes, kT0 + 3 * kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2}));
  CheckContents(c, s);
}

namespace {
// Sends every packet but `lost`, 1 ms apart, and returns when the first packet after the hole
// arrived (the moment the hole became visible).
uint64_t SendAllBut(FrameAssembler& a, const Stream& s, size_t lost, uint64_t* end) {
  uint64_t now = kT0, holeSeen = 0;
  for (size_t i = 0; i < s.packets.size(); ++i) {
    if (i == lost) continue;
    Insert(a, s.packets[i].bytes, now);
    if (i > lost && holeSeen == 0) holeSeen = now;
    now += kMs;
  }
  *end = now;
  return holeSeen;
}
}  // namespace

TEST(FrameAssembler_LostPacketInAPFrame) {
  const Stream s = MakeStream("KPQQPPKP");
  const size_t lost = s.frames[2].packets[1];  // the middle FU-A of frame 2
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t end = 0;
  const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
  // Everything after the hole waits for it while the window is open.
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1}));
  a.OnTimer(holeSeen + kWindow - 1);
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1}));

  a.OnTimer(holeSeen + kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
  // Frames 3-5 reference the lost one: dropped; the key frame 6 restarts delivery.
  CHECK_EQ(a.stats().framesWaitingKeyFrame.load(), 3u);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 6, 7}));
  CheckContents(c, s);
  CHECK_EQ(a.stats().packetsDiscarded.load(), 2u);  // what had arrived of frame 2
  CHECK(!a.waitingKeyFrame());

  // The lost packet showing up now is late, and changes nothing.
  Insert(a, s.packets[lost].bytes, end);
  CHECK_EQ(a.stats().packetsLate.load(), 1u);
  CHECK_EQ(c.frames.size(), 4);
  a.OnTimer(end + 10 * kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
}

TEST(FrameAssembler_LossDeclaredBeforeTheRestArrives) {
  const Stream s = MakeStream("KPQPPKP");
  const size_t lost = s.frames[2].packets[2];  // the last packet (marker) of frame 2
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  size_t i = 0;
  for (; i <= lost + 1; ++i)
    if (i != lost) Insert(a, s.packets[i].bytes, now += kMs);
  a.OnTimer(now + kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
  for (; i < s.packets.size(); ++i) {
    Insert(a, s.packets[i].bytes, now += kMs);
    a.OnTimer(now);
  }
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 5, 6}));
  CheckContents(c, s);
  CHECK_EQ(c.keyFrameRequests, 1);
}

TEST(FrameAssembler_LostSinglePacketFrame) {
  const Stream s = MakeStream("KPPPPKP");
  const size_t lost = s.frames[2].packets[0];
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t end = 0;
  const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1}));
  a.OnTimer(holeSeen + kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 5, 6}));
  CheckContents(c, s);
}

TEST(FrameAssembler_LostPacketInAKeyFrame) {
  // The broken frame itself opens with an SPS; after its loss is declared, delivery must move
  // on to the next key frame rather than wait on the broken one again.
  const Stream s = MakeStream("KPPKPPKP");
  const size_t lost = s.frames[3].packets[3];  // an IDR FU-A in the middle of key frame 3
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t end = 0;
  const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2}));
  a.OnTimer(holeSeen + kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 6, 7}));
  // One loss is one incomplete frame, however often the timer runs.
  a.OnTimer(holeSeen + 2 * kWindow);
  a.OnTimer(holeSeen + 3 * kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
  CheckContents(c, s);
}

TEST(FrameAssembler_LostSpsPacketOfAKeyFrame) {
  // The SPS packet of key frame 3 is lost: the frame may be handed over without it (a decoder
  // that kept the earlier SPS can still start there) but nothing after a P frame may leak.
  const Stream s = MakeStream("KPPKPPKP");
  const size_t lost = s.frames[3].packets[0];
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t end = 0;
  const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
  a.OnTimer(holeSeen + kWindow);
  a.OnTimer(holeSeen + 3 * kWindow);
  const auto ts = c.Timestamps();
  REQUIRE(ts.size() >= 5);
  CHECK(ts.back() == s.frames[7].ts);
  CHECK(std::is_sorted(ts.begin(), ts.end()));
  for (const auto& f : c.frames) {
    if (f.ts == s.frames[3].ts) {
      CHECK(f.key);
      // A suffix of the original: whole NAL units, IDR included.
      const Bytes& full = s.frames[3].annexB;
      CHECK(f.data.size() <= full.size() && std::equal(f.data.begin(), f.data.end(), full.end() - f.data.size()));
    }
  }
}

TEST(FrameAssembler_DuplicatesAreCountedAndIgnored) {
  const Stream s = MakeStream("KQP");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t i = 0; i < s.packets.size(); ++i) {
    Insert(a, s.packets[i].bytes, now += kMs);
    // Repeat the first and a middle packet of the key frame, and the Q frame's FU start,
    // while their frames are still incomplete.
    if (i == 0 || i == 2 || i == 6) Insert(a, s.packets[i].bytes, now += kMs);
  }
  CHECK_EQ(a.stats().packetsDuplicate.load(), 3u);
  REQUIRE(c.frames.size() == 3);
  CheckContents(c, s);
}

TEST(FrameAssembler_LatePacketsAreCounted) {
  const Stream s = MakeStream("KPQPK");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t f = 0; f < 3; ++f)
    for (size_t i : s.frames[f].packets) Insert(a, s.packets[i].bytes, now += kMs);
  CHECK_EQ(c.frames.size(), 3);
  // Packets of frames already handed over: a retransmission or a duplicate from far behind.
  Insert(a, s.packets[s.frames[0].packets[2]].bytes, now += kMs);
  Insert(a, s.packets[s.frames[2].packets[0]].bytes, now += kMs);
  CHECK_EQ(a.stats().packetsLate.load(), 2u);
  for (size_t f = 3; f < 5; ++f)
    for (size_t i : s.frames[f].packets) Insert(a, s.packets[i].bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 3, 4}));
  CheckContents(c, s);
}

namespace {
// Rewrites the FU header byte of packet `index` (the 14th byte of a CSRC-free RTP packet).
void SetFuHeader(Stream& s, size_t index, uint8_t header) { s.packets[index].bytes[13] = header; }
}  // namespace

TEST(FrameAssembler_MalformedFuASequence) {
  Stream s = MakeStream("KPQPKP");
  SetFuHeader(s, s.frames[2].packets[0], 0x01);  // the start fragment loses its S bit
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) Insert(a, p.bytes, now += kMs);
  CHECK_EQ(a.stats().framesMalformed.load(), 1u);
  CHECK_EQ(c.keyFrameRequests, 1);
  CHECK_EQ(a.stats().framesWaitingKeyFrame.load(), 1u);  // frame 3 depended on frame 2
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 4, 5}));
  CheckContents(c, s);
}

TEST(FrameAssembler_FrameEndingInsideAFragmentIsMalformed) {
  Stream s = MakeStream("KPQPKP");
  SetFuHeader(s, s.frames[2].packets[2], 0x01);  // the end fragment loses its E bit (marker kept)
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) Insert(a, p.bytes, now += kMs);
  CHECK_EQ(a.stats().framesMalformed.load(), 1u);
  CHECK(c.keyFrameRequests >= 1);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 4, 5}));
}

TEST(FrameAssembler_FuAWithStartAndEndIsMalformed) {
  Stream s = MakeStream("KPQPKP");
  SetFuHeader(s, s.frames[2].packets[1], 0xC1);
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) Insert(a, p.bytes, now += kMs);
  CHECK_EQ(a.stats().framesMalformed.load(), 1u);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 4, 5}));
}

TEST(FrameAssembler_EmptyAndOversizedPayloadsAreMalformedPackets) {
  Collector c;
  FrameAssembler a(&c, 64, kWindow);
  RtpSpec spec;
  spec.seq = 5;
  Insert(a, BuildRtp(spec), kT0);  // no payload
  spec.payload = Bytes(FrameAssembler::kMaxPayload + 1, 0x41);
  Insert(a, BuildRtp(spec), kT0);
  CHECK_EQ(a.stats().packetsMalformed.load(), 2u);
  spec.payload = Bytes(FrameAssembler::kMaxPayload, 0x41);  // the largest accepted
  spec.payload[0] = 0x65;
  spec.marker = true;
  Insert(a, BuildRtp(spec), kT0);
  a.OnTimer(kT0 + kWindow);  // an IDR alone first: it waits the window for parameter sets
  CHECK_EQ(a.stats().packetsMalformed.load(), 2u);
  REQUIRE(c.frames.size() == 1);
  CHECK_EQ(c.frames[0].data.size(), 4 + FrameAssembler::kMaxPayload);
}

TEST(FrameAssembler_SequenceWraparoundInsideAFrame) {
  const Stream s = MakeStream("KQPKQ", 65533);  // key frame 65533..2, the rest after the wrap
  REQUIRE(s.packets[3].seq == 0);
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) {
    Insert(a, p.bytes, now += kMs);
    a.OnTimer(now);
  }
  REQUIRE(c.frames.size() == s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i) CHECK_EQ(c.frames[i].data, s.frames[i].annexB);
  CHECK_EQ(a.stats().packetsLate.load(), 0u);
}

TEST(FrameAssembler_ReorderingAcrossTheWraparound) {
  const Stream s = MakeStream("KQPQ", 65530);
  std::vector<size_t> order;
  for (size_t i = 0; i < s.packets.size(); ++i) order.push_back(i);
  std::reverse(order.begin() + 3, order.begin() + 9);  // 65533..2 arrive backwards
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t i : order) Insert(a, s.packets[i].bytes, now += kMs);
  REQUIRE(c.frames.size() == s.frames.size());
  for (size_t i = 0; i < s.frames.size(); ++i) CHECK_EQ(c.frames[i].data, s.frames[i].annexB);
}

TEST(FrameAssembler_ForwardJumpLargerThanTheBuffer) {
  Stream s;
  Sender sender(&s, 1000, kSsrc, 90000);
  sender.Pattern("KPQ");
  sender.set_seq(static_cast<uint16_t>(sender.seq() + 5000));  // 5000 packets never arrive
  sender.Pattern("PQKPQ");
  Collector c;
  FrameAssembler a(&c, 64, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) {
    Insert(a, p.bytes, now += kMs);
    a.OnTimer(now);
  }
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 5, 6, 7}));
  CheckContents(c, s);
  CHECK_EQ(c.keyFrameRequests, 1);
}

TEST(FrameAssembler_BackwardJumpLargerThanTheBuffer) {
  // A sender restart keeping its SSRC may continue from any sequence number, also one behind.
  Stream s;
  Sender sender(&s, 30000, kSsrc, 90000);
  sender.Pattern("KPQ");
  sender.set_seq(20000);
  sender.Pattern("PPKPQ");
  Collector c;
  FrameAssembler a(&c, 64, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) {
    Insert(a, p.bytes, now += kMs);
    a.OnTimer(now);
  }
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 5, 6, 7}));
  CHECK(a.stats().packetsLate.load() <= 2u);
}

TEST(FrameAssembler_NewSsrcStartsOverAtAKeyFrame) {
  Stream s;
  Sender first(&s, 1000, kSsrc, 90000);
  first.Pattern("KPQ");
  Sender second(&s, 40000, 0xABCDEF01, 5000000);
  second.Pattern("PKP");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (const auto& p : s.packets) Insert(a, p.bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 4, 5}));
  CheckContents(c, s);
  REQUIRE(c.frames.size() == 5);
  CHECK_EQ(c.frames[3].ssrc, 0xABCDEF01u);
  CHECK(c.frames[3].key);
}

TEST(FrameAssembler_FrameWithoutMarkerEndsAtTheNextTimestamp) {
  Stream s;
  Sender sender(&s, 1000, kSsrc, 90000);
  sender.Pattern("K");
  sender.Frame({Nal(0x41, 2000, 1)}, false, /*marker=*/false);
  sender.Pattern("PP");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t i : s.frames[0].packets) Insert(a, s.packets[i].bytes, now += kMs);
  for (size_t i : s.frames[1].packets) Insert(a, s.packets[i].bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0}));  // its end is unknown until the next frame begins
  for (size_t i : s.frames[2].packets) Insert(a, s.packets[i].bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2}));
  for (size_t i : s.frames[3].packets) Insert(a, s.packets[i].bytes, now += kMs);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 3}));
  CheckContents(c, s);
}

TEST(FrameAssembler_RequireKeyFrameHoldsPFrames) {
  const Stream s = MakeStream("KPPKP");
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  for (size_t f = 0; f < 5; ++f) {
    if (f == 1) {
      a.RequireKeyFrame();
      CHECK(a.waitingKeyFrame());
    }
    for (size_t i : s.frames[f].packets) Insert(a, s.packets[i].bytes, now += kMs);
  }
  CHECK_FRAMES(c, TimestampsOf(s, {0, 3, 4}));
  CHECK_EQ(a.stats().framesWaitingKeyFrame.load(), 2u);
  CHECK(!a.waitingKeyFrame());
}

TEST(FrameAssembler_CapacityNotAPowerOfTwoAcrossTheWraparound) {
  // Slots are indexed by seq % capacity; when capacity does not divide 65536, seq 0 and seq
  // 65000 (536 apart across the wrap) share slot 0 of a 1000-slot ring while both are pending.
  Stream s;
  Sender sender(&s, 64990, kSsrc, 90000);
  sender.Pattern("K");
  for (int i = 0; i < 560; ++i) sender.Pattern("P");
  size_t late = 0;
  for (size_t i = 0; i < s.packets.size(); ++i)
    if (s.packets[i].seq == 65000) late = i;
  Collector c;
  FrameAssembler a(&c, 1000, kWindow);
  uint64_t now = kT0;
  // Packet 65000 is overtaken by the next 536 (a burst that fits well inside the window).
  for (size_t i = 0; i < s.packets.size(); ++i) {
    if (i == late) continue;
    Insert(a, s.packets[i].bytes, now += 10000);
    if (s.packets[i].seq == 0) Insert(a, s.packets[late].bytes, now += 10000);
  }
  a.OnTimer(now + kWindow);
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  CHECK_EQ(c.frames.size(), s.frames.size());
  CHECK_EQ(c.keyFrameRequests, 0);
}

TEST(FrameAssembler_LossReorderDuplicationNeverLeaksBrokenFrames) {
  // A long stream through loss, reordering inside the window and duplication, starting close
  // to the wrap. Whatever gets dropped, what is handed over must be decodable: whole original
  // frames in order, a P frame only right after the frame it follows, a key frame only as a
  // NAL-aligned suffix of the original that still holds the IDR.
  std::mt19937 rng(7);
  Stream s;
  Sender sender(&s, 60000, kSsrc, 90000);
  for (int f = 0; f < 3000; ++f) sender.Pattern(f % 30 == 0 ? "K" : (rng() % 3 ? "P" : "Q"));
  struct Arrival {
    uint64_t at;
    size_t packet;
  };
  std::vector<Arrival> arrivals;
  for (size_t i = 0; i < s.packets.size(); ++i) {
    const uint64_t sent = kT0 + i * kMs;
    const uint32_t r = rng() % 1000;
    if (r < 8) continue;                                                  // 0.8% loss
    const uint64_t delay = (r < 60) ? (1 + rng() % 25) * kMs : 0;        // 5% delayed up to 25 ms
    arrivals.push_back({sent + delay, i});
    if (r >= 60 && r < 70) arrivals.push_back({sent + (1 + rng() % 10) * kMs, i});  // 1% duplicated
  }
  std::stable_sort(arrivals.begin(), arrivals.end(), [](const Arrival& x, const Arrival& y) { return x.at < y.at; });

  Collector c;
  FrameAssembler a(&c, 512, kWindow);
  for (const Arrival& arr : arrivals) {
    a.OnTimer(arr.at);
    Insert(a, s.packets[arr.packet].bytes, arr.at);
  }
  a.OnTimer(arrivals.back().at + 10 * kWindow);

  std::vector<bool> delivered(s.frames.size(), false);
  long previous = -1;
  size_t violations = 0;
  std::string firstViolation;
  auto violate = [&](const std::string& what) {
    if (violations++ == 0) firstViolation = what;
  };
  for (const auto& got : c.frames) {
    const size_t index = (got.ts - 90000) / 3000;
    if (index >= s.frames.size() || s.frames[index].ts != got.ts) {
      violate("unknown timestamp");
      continue;
    }
    const TestFrame& want = s.frames[index];
    if (static_cast<long>(index) <= previous) violate("frame " + std::to_string(index) + " out of order");
    if (!want.key) {
      if (got.data != want.annexB) violate("P frame " + std::to_string(index) + " differs");
      if (index == 0 || !delivered[index - 1]) violate("P frame " + std::to_string(index) + " after a gap");
      if (got.key) violate("P frame flagged key");
    } else {
      const bool suffix = got.data.size() <= want.annexB.size() &&
                          std::equal(got.data.begin(), got.data.end(), want.annexB.end() - got.data.size());
      if (!suffix) violate("key frame " + std::to_string(index) + " is not a suffix");
      if (!got.key) violate("key frame not flagged");
    }
    delivered[index] = true;
    previous = static_cast<long>(index);
  }
  CHECK_MSG(violations == 0, firstViolation + " (" + std::to_string(violations) + " violations)");
  // The run must have exercised the interesting paths, or it proves little.
  CHECK(a.stats().framesIncomplete.load() > 5);
  CHECK(a.stats().packetsDuplicate.load() + a.stats().packetsLate.load() > 10);
  CHECK(c.frames.size() > s.frames.size() / 2);
  CHECK_EQ(a.stats().framesAssembled.load(), c.frames.size());
}

TEST(FrameAssembler_FuzzRandomPacketsNeverCrash) {
  std::mt19937 rng(99);
  const Stream base = MakeStream("KPQPQKPPQ", 100);
  // 1000 does not divide 65536: slot indexes jump at the sequence wrap.
  for (size_t capacity : {16u, 64u, 1024u, 1000u}) {
    Collector c;
    auto a = std::make_unique<FrameAssembler>(&c, capacity, kWindow);
    uint64_t now = kT0;
    uint16_t seqBase = static_cast<uint16_t>(rng());
    for (int iter = 0; iter < 40000; ++iter) {
      Bytes bytes;
      const uint32_t kind = rng() % 10;
      if (kind < 4) {
        bytes = base.packets[rng() % base.packets.size()].bytes;  // a real packet, maybe mutated
        if (kind < 2) {
          const int flips = 1 + static_cast<int>(rng() % 3);
          for (int f = 0; f < flips; ++f) {
            const size_t at = (rng() % 2) ? 12 + rng() % 3 : rng() % bytes.size();
            bytes[at] = static_cast<uint8_t>(rng());
          }
        }
      } else {
        RtpSpec spec;
        spec.timestamp = static_cast<uint32_t>(rng() % 8) * 3000;
        spec.marker = rng() % 3 == 0;
        spec.payload.resize(rng() % 40);
        for (auto& b : spec.payload) b = static_cast<uint8_t>(rng());
        if (!spec.payload.empty() && rng() % 2) spec.payload[0] = static_cast<uint8_t>(rng() % 2 ? 0x7C : 0x78);
        if (spec.payload.size() > 1 && rng() % 2) spec.payload[1] &= 0x7F;
        bytes = BuildRtp(spec);
      }
      if (bytes.size() < 12) continue;
      // Sequence numbers: mostly near a moving base, sometimes anywhere.
      const uint32_t pick = rng() % 20;
      uint16_t seq = pick == 0 ? static_cast<uint16_t>(rng()) : static_cast<uint16_t>(seqBase + rng() % 40);
      if (rng() % 4 == 0) ++seqBase;
      bytes[2] = static_cast<uint8_t>(seq >> 8);
      bytes[3] = static_cast<uint8_t>(seq);
      if (rng() % 500 == 0) bytes[8] ^= 0x01;  // an occasional other SSRC
      ExactBuffer buf(bytes);
      RtpPacket p;
      if (RtpPacket::Parse(buf.data(), buf.size(), &p)) a->Insert(p, now);
      now += (rng() % 3) * kMs;
      if (rng() % 5 == 0) a->OnTimer(now);
      if (rng() % 5000 == 0) a->RequireKeyFrame();
    }
    for (const auto& f : c.frames) {
      if (f.data.size() < 5 || f.data[0] != 0 || f.data[1] != 0 || f.data[2] != 0 || f.data[3] != 1) {
        CHECK_MSG(false, "frame without a leading start code");
        break;
      }
    }
    CHECK_EQ(a->stats().framesAssembled.load(), c.frames.size());
  }
}

// Senders probing bandwidth send padding-only packets between frames (RFC 3550 5.1): they take
// a sequence number, so dropping them would leave holes that look like loss.
TEST(FrameAssembler_PaddingOnlyPacketsBetweenFramesAreNoLoss) {
  const Stream s = MakeStream("KPP", 1000);
  Collector c;
  FrameAssembler a(&c, 256, kWindow);
  uint64_t now = kT0;
  uint16_t seq = 1000;
  for (const auto& p : s.packets) {
    Bytes bytes = p.bytes;  // renumbered: each frame is followed by a padding packet
    bytes[2] = static_cast<uint8_t>(seq >> 8);
    bytes[3] = static_cast<uint8_t>(seq++);
    Insert(a, bytes, now);
    if (bytes[1] & 0x80) {  // the frame's last packet
      RtpSpec pad;
      pad.seq = seq++;
      pad.ssrc = kSsrc;
      pad.timestamp = s.frames[p.frame].ts;
      pad.padding = 32;
      Insert(a, BuildRtp(pad), now);
    }
    now += kMs;
    a.OnTimer(now);
  }
  a.OnTimer(now + kWindow * 2);
  CHECK_EQ(c.frames.size(), s.frames.size());
  CheckContents(c, s);
  CHECK_EQ(a.stats().packetsPadding.load(), s.frames.size());
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  CHECK_EQ(a.stats().packetsMalformed.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
}

// A listener whose NACK is still after some packets.
struct Recovering : Collector {
  std::vector<uint16_t> pending;
  bool RecoveryPending(uint16_t seq) override { return std::find(pending.begin(), pending.end(), seq) != pending.end(); }
};

TEST(FrameAssembler_HoleBeingRecoveredOutlastsTheWindowAndItsRetransmissionCompletesTheFrame) {
  const Stream s = MakeStream("KPQQPPKP");
  const size_t lost = s.frames[2].packets[1];
  Recovering c;
  c.pending = {s.packets[lost].seq};
  FrameAssembler a(&c, 256, kWindow);
  uint64_t end = 0;
  const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
  a.OnTimer(holeSeen + 3 * kWindow);  // well past the reorder window: the retransmission may come
  CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1}));
  Insert(a, s.packets[lost].bytes, holeSeen + 3 * kWindow + kMs);  // it did
  CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 2, 3, 4, 5, 6, 7}));
  CheckContents(c, s);
  CHECK_EQ(a.stats().packetsLate.load(), 0u);
}

TEST(FrameAssembler_HoleGivenUpOrPastTheRecoveryLimitIsALoss) {
  const Stream s = MakeStream("KPQQPPKP");
  const size_t lost = s.frames[2].packets[1];
  {
    Recovering c;  // pursued, but never comes: the limit ends the wait
    c.pending = {s.packets[lost].seq};
    FrameAssembler a(&c, 256, kWindow, callmedia::VideoCodec::kH264, 200 * kMs);
    uint64_t end = 0;
    const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
    a.OnTimer(holeSeen + 200 * kMs - 1);
    CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
    a.OnTimer(holeSeen + 200 * kMs);
    CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
    CHECK_EQ(c.keyFrameRequests, 1);
    CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 6, 7}));
  }
  {
    Recovering c;  // given up at 80 ms: lost then, not at the limit
    c.pending = {s.packets[lost].seq};
    FrameAssembler a(&c, 256, kWindow);
    uint64_t end = 0;
    const uint64_t holeSeen = SendAllBut(a, s, lost, &end);
    a.OnTimer(holeSeen + 79 * kMs);
    CHECK_EQ(a.stats().framesIncomplete.load(), 0u);
    c.pending.clear();
    a.OnTimer(holeSeen + 80 * kMs);
    CHECK_EQ(a.stats().framesIncomplete.load(), 1u);
    CHECK_FRAMES(c, TimestampsOf(s, {0, 1, 6, 7}));
  }
}
