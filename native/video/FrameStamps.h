// The moments each received video frame is stamped at (monotonic ns), so latency is measured
// per stage: first and last packet in, assembled, decode started, decoded, converted, delivered.
#pragma once

namespace callmedia {

enum Stamp { kFirstPacket = 0, kLastPacket, kAssembled, kDecodeStart, kDecoded, kConverted, kDelivered, kStampCount };

}  // namespace callmedia
