#include "rtp/SeqManager.h"

#include "check.h"

using callmedia::SeqManager;

TEST(SeqManager_DiffSimple) {
  CHECK_EQ(SeqManager::Diff(1, 0), 1);
  CHECK_EQ(SeqManager::Diff(0, 1), -1);
  CHECK_EQ(SeqManager::Diff(1000, 1000), 0);
  CHECK_EQ(SeqManager::Diff(1100, 1000), 100);
  CHECK_EQ(SeqManager::Diff(1000, 1100), -100);
}

TEST(SeqManager_DiffAcrossWraparound) {
  CHECK_EQ(SeqManager::Diff(0, 65535), 1);
  CHECK_EQ(SeqManager::Diff(65535, 0), -1);
  CHECK_EQ(SeqManager::Diff(5, 65530), 11);
  CHECK_EQ(SeqManager::Diff(65530, 5), -11);
  CHECK(SeqManager::IsNewer(0, 65535));
  CHECK(!SeqManager::IsNewer(65535, 0));
  CHECK(SeqManager::IsNewer(10, 65000));
}

TEST(SeqManager_HalfRangeBoundary) {
  // 32767 ahead is newer, 32769 ahead is older (it is 32767 behind); exactly half is ambiguous
  // and RFC 1982 leaves it undefined: it must at least not be "newer" in both directions.
  CHECK_EQ(SeqManager::Diff(32767, 0), 32767);
  CHECK(SeqManager::IsNewer(32767, 0));
  CHECK_EQ(SeqManager::Diff(32769, 0), -32767);
  CHECK(!SeqManager::IsNewer(32769, 0));
  CHECK(SeqManager::IsNewer(0, 32769));
  CHECK(!(SeqManager::IsNewer(32768, 0) && SeqManager::IsNewer(0, 32768)));
}

TEST(SeqManager_AntisymmetryAndTranslationInvariance) {
  size_t bad = 0;
  for (uint32_t a = 0; a < 65536; a += 97) {
    for (uint32_t d = 0; d < 65536; d += 251) {
      const uint16_t b = static_cast<uint16_t>(a + d);
      const int32_t ab = SeqManager::Diff(static_cast<uint16_t>(a), b);
      const int32_t ba = SeqManager::Diff(b, static_cast<uint16_t>(a));
      if (d != 32768 && ab != -ba) ++bad;
      // Shifting both numbers by the same amount never changes their distance.
      if (SeqManager::Diff(static_cast<uint16_t>(b + 12345), static_cast<uint16_t>(a + 12345)) != ba) ++bad;
      if (ba < -32768 || ba > 32767) ++bad;
      if (SeqManager::IsNewer(b, static_cast<uint16_t>(a)) && SeqManager::IsNewer(static_cast<uint16_t>(a), b)) ++bad;
    }
  }
  CHECK_EQ(bad, 0);
}
