// The payload formats by codec, for the receive and send paths.
#include "video/H264Depacketizer.h"
#include "video/H264Packetizer.h"
#include "video/RtpDepacketizer.h"
#include "video/RtpPacketizer.h"
#include "video/Vp8Depacketizer.h"
#include "video/Vp8Packetizer.h"

namespace callmedia {

std::unique_ptr<RtpDepacketizer> RtpDepacketizer::Create(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kVp8:
      return std::make_unique<Vp8Depacketizer>();
    case VideoCodec::kH264:
    default:
      return std::make_unique<H264Depacketizer>();
  }
}

std::unique_ptr<RtpPacketizer> RtpPacketizer::Create(VideoCodec codec, size_t maxPayload) {
  switch (codec) {
    case VideoCodec::kVp8:
      return std::make_unique<Vp8Packetizer>(maxPayload);
    case VideoCodec::kH264:
    default:
      return std::make_unique<H264Packetizer>(maxPayload);
  }
}

}  // namespace callmedia
