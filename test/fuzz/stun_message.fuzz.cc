// StunMessage (RFC 5389): any datagram parses or is refused; what parses is re-checked against
// the datagram, and an answer written to it (as ICE-lite does) parses back with its integrity.
#include "FuzzRtp.h"
#include "net/StunMessage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  callmedia::StunMessage m;
  (void)callmedia::StunMessage::LooksLikeStun(data, size);
  if (!callmedia::StunMessage::Parse(data, size, &m)) return 0;
  if (m.username) FUZZ_CHECK(m.username >= data && m.username + m.usernameLength <= data + size);
  static const uint8_t kKey[] = "fuzzpassword0123456789";
  (void)m.CheckIntegrity(kKey, sizeof(kKey) - 1);
  uint8_t out[512];
  callmedia::StunWriter w(out, sizeof(out), callmedia::StunMessage::kBinding, callmedia::StunMessage::kSuccessResponse,
                          m.transactionId);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_port = 0x3412;
  from.sin_addr.s_addr = 0x0100007F;
  w.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&from));
  w.AddMessageIntegrity(kKey, sizeof(kKey) - 1);
  w.AddFingerprint();
  FUZZ_CHECK(w.ok());
  callmedia::StunMessage answer;
  FUZZ_CHECK(callmedia::StunMessage::Parse(out, w.size(), &answer));
  FUZZ_CHECK(answer.CheckIntegrity(kKey, sizeof(kKey) - 1) && answer.hasXorMappedAddress);
  return 0;
}
